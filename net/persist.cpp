#include "net/persist.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace cc::net {
namespace {

Status Errno(const std::string& what, const std::filesystem::path& path) {
  return Status::IOError(what + " " + path.string() + ": " + std::strerror(errno));
}

std::array<uint8_t, 4> Checksum(ByteSpan data) {
  const Uint256 h = Hash256(data);
  std::array<uint8_t, 4> out;
  std::memcpy(out.data(), h.data(), 4);
  return out;
}

}  // namespace

Status WriteSealedFile(const std::filesystem::path& path, uint8_t version, ByteSpan body) {
  std::vector<uint8_t> bytes;
  bytes.reserve(1 + body.size() + 4);
  bytes.push_back(version);
  bytes.insert(bytes.end(), body.begin(), body.end());
  const auto sum = Checksum(bytes);
  bytes.insert(bytes.end(), sum.begin(), sum.end());

  const std::filesystem::path tmp = path.string() + ".new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", tmp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("write", tmp);
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("fsync", tmp);
    ::close(fd);
    return s;
  }
  if (::close(fd) != 0) return Errno("close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("open", dir);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("fsync", dir);
  return Status::OK();
}

Status ReadSealedFile(const std::filesystem::path& path, uint8_t version, size_t max_size,
                      std::vector<uint8_t>* body) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path.string());
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError(path.string() + ": " + ec.message());
  if (size > max_size) return Status::Corruption("file-too-large");
  if (size < 5) return Status::Corruption("corrupt-file");
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::IOError("read " + path.string());
  }
  const auto sum = Checksum(ByteSpan(bytes.data(), bytes.size() - 4));
  if (std::memcmp(sum.data(), bytes.data() + bytes.size() - 4, 4) != 0) {
    return Status::Corruption("corrupt-file");
  }
  if (bytes[0] != version) return Status::Corruption("unknown-file-version");
  body->assign(bytes.begin() + 1, bytes.end() - 4);
  return Status::OK();
}

}  // namespace cc::net
