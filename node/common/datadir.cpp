#include "node/common/datadir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace cc {

std::filesystem::path DefaultDataDir() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr && *home != '\0' ? home : ".") / ".computecoin";
}

Status ResolveDataDir(const Config& config, std::filesystem::path* datadir) {
  std::error_code ec;
  if (std::optional<std::string> given = config.Get("datadir")) {
    const std::filesystem::path path = std::filesystem::absolute(*given, ec);
    const std::string quoted = "Specified data directory \"" + *given + "\"";
    if (!ec && std::filesystem::exists(path, ec) && !std::filesystem::is_directory(path, ec)) {
      return Status::InvalidArgument(quoted + " is not a directory.");
    }
    if (ec || !std::filesystem::is_directory(path, ec)) {
      return Status::InvalidArgument(quoted + " does not exist.");
    }
    *datadir = path;
    return Status::OK();
  }
  const std::filesystem::path path = DefaultDataDir();
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Status::IOError("cannot create data directory " + path.string() + ": " + ec.message());
  *datadir = path;
  return Status::OK();
}

Status NetworkDataDir(const std::filesystem::path& datadir, const ChainParams& params,
                      std::filesystem::path* dir) {
  const std::filesystem::path path =
      params.data_subdir.empty() ? datadir : datadir / params.data_subdir;
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec)
    return Status::IOError("cannot create data directory " + path.string() + ": " + ec.message());
  *dir = path;
  return Status::OK();
}

Status DirectoryLock::Acquire(const std::filesystem::path& dir,
                              std::unique_ptr<DirectoryLock>* out) {
  const std::filesystem::path path = dir / ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return Status::IOError("Cannot obtain a lock on data directory " + dir.string() +
                             ". Computecoin is probably already running.");
    }
    return Status::IOError("cannot lock " + path.string() + ": " + std::strerror(error));
  }
  out->reset(new DirectoryLock(fd));
  return Status::OK();
}

DirectoryLock::~DirectoryLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace cc
