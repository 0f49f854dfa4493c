#include "node/daemon.h"

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "chain/file_io.h"
#include "node/common/args.h"

namespace cc {
namespace {

// The report on the pipe: one byte, '0' for a start-up that succeeded or
// '1' followed by the error message.
constexpr char kStarted = '0';
constexpr char kFailed = '1';

// The parent's side: waits for the child's report and exits with it.
[[noreturn]] void AwaitChild(int fd) {
  std::string report;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      report.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  if (!report.empty() && report[0] == kStarted) std::exit(0);
  if (!report.empty() && report[0] == kFailed) {
    std::fprintf(stderr, "Error: %s\n", report.c_str() + 1);
  } else {
    std::fprintf(stderr, "Error: computecoind stopped during start-up without saying why "
                         "(see debug.log)\n");
  }
  std::exit(1);
}

}  // namespace

void AddDaemonArgs(Config* c) {
  c->AddArg("-daemon", "Run in the background as a daemon and accept commands (default: 0)",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-daemonwait",
            "Wait for initialization to be finished before exiting. This implies -daemon "
            "(default: 0)",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-pid=<file>",
            "Specify pid file. Relative paths will be prefixed by a net-specific datadir "
            "location. (default: computecoind.pid)",
            Config::kString, Config::kNone, kOptions);
}

StartupReport::~StartupReport() {
  if (fd_ >= 0) ::close(fd_);
}

void StartupReport::Send(const Status& status) {
  if (fd_ < 0) return;
  std::string report(1, status.ok() ? kStarted : kFailed);
  if (!status.ok()) report += status.message();
  // A parent that has gone (killed) leaves nobody to tell: EPIPE is ignored
  // (SIGPIPE is, node/shutdown.h).
  for (size_t done = 0; done < report.size();) {
    const ssize_t n = ::write(fd_, report.data() + done, report.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd_);
  fd_ = -1;
}

Status Daemonize(const Config& config, StartupReport* report) {
  const bool wait = config.GetBoolArg("daemonwait", false);
  if (!wait && !config.GetBoolArg("daemon", false)) return Status::OK();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Status::IOError(std::string("cannot create a pipe: ") + std::strerror(errno));
  std::printf("Computecoin server starting\n");
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::IOError(std::string("cannot fork: ") + std::strerror(error));
  }
  if (pid > 0) {
    ::close(fds[1]);
    if (!wait) std::exit(0);
    AwaitChild(fds[0]);
  }
  ::close(fds[0]);
  if (::setsid() < 0)
    return Status::IOError(std::string("setsid: ") + std::strerror(errno));
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0) return Status::IOError(std::string("/dev/null: ") + std::strerror(errno));
  for (int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null, fd);
  if (null > STDERR_FILENO) ::close(null);
  if (wait) {
    report->fd_ = fds[1];
  } else {
    ::close(fds[1]);
  }
  return Status::OK();
}

Status PidFile::Create(const Config& config, const std::filesystem::path& network_dir,
                       std::unique_ptr<PidFile>* out) {
  const std::filesystem::path path =
      network_dir / std::filesystem::path(config.GetArg("pid", "computecoind.pid"));
  Status s = WriteFileAtomically(path, std::to_string(::getpid()) + "\n");
  if (!s.ok()) return Status::IOError("cannot write the pid file: " + s.message());
  out->reset(new PidFile(path));
  return Status::OK();
}

PidFile::~PidFile() {
  std::error_code ignored;  // gone already: nothing to remove
  std::filesystem::remove(path_, ignored);
}

}  // namespace cc
