#include "chain/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cc {
namespace {

namespace fs = std::filesystem;

Status Errno(const char* what, const fs::path& path) {
  return Status::IOError(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

// Writes all of `bytes` to `fd`, retrying short writes and interruptions.
bool WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    written += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status WriteFileAtomically(const fs::path& path, std::span<const uint8_t> bytes, mode_t mode) {
  const fs::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Errno("cannot create", temp);
  Status s;
  // open() applies the umask and keeps an existing file's mode: set it exactly.
  if (::fchmod(fd, mode) != 0) s = Errno("cannot set the mode of", temp);
  if (s.ok() && !WriteAll(fd, bytes)) s = Errno("cannot write", temp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("cannot fsync", temp);
  if (::close(fd) != 0 && s.ok()) s = Errno("cannot close", temp);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) s = Errno("cannot rename", temp);
  if (!s.ok()) {
    ::unlink(temp.c_str());
    return s;
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return Errno("cannot open folder", folder);
  const bool synced = ::fsync(dir) == 0;
  ::close(dir);
  return synced ? Status::OK() : Errno("cannot fsync folder", folder);
}

Status WriteFileAtomically(const fs::path& path, std::string_view text, mode_t mode) {
  return WriteFileAtomically(
      path, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), mode);
}

Status ReadFileLimited(const fs::path& path, uint64_t max_bytes, std::vector<uint8_t>* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? Status::NotFound("cannot read " + path.string() + ": no such file")
                           : Errno("cannot read", path);
  }
  Status s;
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    s = Errno("cannot read", path);
  } else if (!S_ISREG(st.st_mode)) {
    s = Status::IOError("cannot read " + path.string() + ": not a regular file");
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    s = Status::Corruption(path.string() + " is larger than " + std::to_string(max_bytes) +
                           " bytes");
  } else {
    out->resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (s.ok() && done < out->size()) {
      const ssize_t n = ::read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) s = Errno("cannot read", path);
      if (n == 0) s = Status::IOError("cannot read " + path.string() + ": it shrank");
      if (n > 0) done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return s;
}

}  // namespace cc
