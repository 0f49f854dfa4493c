#include "node/client/header_chain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "chain/serialize.h"

namespace cc {
namespace {

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

}  // namespace

const size_t HeaderChain::kRecordSize = Serialize(BlockHeader{}).size();

Status HeaderChain::Open(const std::filesystem::path& path, const BlockHeader& genesis,
                         std::unique_ptr<HeaderChain>* out) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return Status::IOError("cannot create " + path.parent_path().string() + ": " + ec.message());
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open " + path.string());
  std::unique_ptr<HeaderChain> chain(new HeaderChain(fd, genesis.Hash()));

  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("cannot stat " + path.string());
  const size_t whole = static_cast<size_t>(st.st_size) / kRecordSize;
  std::vector<uint8_t> bytes(whole * kRecordSize);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot read " + path.string());
    done += static_cast<size_t>(n);
  }
  for (size_t height = 0; height < whole; ++height) {
    BlockHeader header;
    Status s = Deserialize(ByteSpan(bytes.data() + height * kRecordSize, kRecordSize), &header);
    if (!s.ok()) {
      return Status::Corruption(path.string() + ": header " + std::to_string(height) + ": " +
                                s.message());
    }
    const Uint256 hash = header.Hash();
    const std::string error = chain->LinkError(header, hash);
    if (!error.empty()) return Status::Corruption(path.string() + ": " + error);
    chain->Push(header, hash);
  }
  if (static_cast<size_t>(st.st_size) != bytes.size() &&
      ::ftruncate(fd, static_cast<off_t>(bytes.size())) != 0) {
    return Errno("cannot cut the torn record off " + path.string());
  }
  *out = std::move(chain);
  return Status::OK();
}

HeaderChain::~HeaderChain() { ::close(fd_); }

std::string HeaderChain::LinkError(const BlockHeader& header, const Uint256& hash) const {
  const size_t height = headers_.size();
  if (header.height != height) {
    return "header " + std::to_string(height) + " has height " + std::to_string(header.height);
  }
  if (height == 0) {
    return hash == genesis_hash_ ? "" : "header 0 is not this network's genesis block";
  }
  if (header.prev != hashes_.back()) {
    return "header " + std::to_string(height) + ": prev is not the hash of header " +
           std::to_string(height - 1);
  }
  return "";
}

void HeaderChain::Push(const BlockHeader& header, const Uint256& hash) {
  by_hash_[hash] = headers_.size();
  headers_.push_back(header);
  hashes_.push_back(hash);
}

Status HeaderChain::Append(const std::vector<BlockHeader>& headers) {
  const size_t old_size = headers_.size();
  std::vector<uint8_t> bytes;
  bytes.reserve(headers.size() * kRecordSize);
  Writer writer(&bytes);
  Status result;
  for (const BlockHeader& header : headers) {
    const Uint256 hash = header.Hash();
    const std::string error = LinkError(header, hash);
    if (!error.empty()) {
      result = Status::InvalidArgument(error);
      break;
    }
    writer(header);
    Push(header, hash);
  }
  size_t done = 0;
  while (result.ok() && done < bytes.size()) {
    const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                               static_cast<off_t>(old_size * kRecordSize + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      result = Errno("cannot write the header file");
    else
      done += static_cast<size_t>(n);
  }
  if (result.ok() && ::fsync(fd_) != 0) result = Errno("cannot sync the header file");
  if (!result.ok()) {
    // Forget what was pushed; a partial write is cut off by the next Open.
    while (headers_.size() > old_size) {
      by_hash_.erase(hashes_.back());
      headers_.pop_back();
      hashes_.pop_back();
    }
    return result;
  }
  return Status::OK();
}

Status HeaderChain::Truncate(size_t count) {
  if (::ftruncate(fd_, static_cast<off_t>(count * kRecordSize)) != 0 || ::fsync(fd_) != 0) {
    return Errno("cannot shorten the header file");
  }
  while (headers_.size() > count) {
    by_hash_.erase(hashes_.back());
    headers_.pop_back();
    hashes_.pop_back();
  }
  return Status::OK();
}

const BlockHeader* HeaderChain::Find(const Uint256& hash) const {
  auto it = by_hash_.find(hash);
  return it == by_hash_.end() ? nullptr : &headers_[it->second];
}

}  // namespace cc
