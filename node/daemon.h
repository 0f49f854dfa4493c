// -daemon, -daemonwait and -pid: computecoind in the background, as bitcoind
// runs (doc/node.md).
//
// Daemonize forks: the parent prints "Computecoin server starting" and
// leaves at once, or with -daemonwait once the child has reported how its
// start-up ended (exit status 0, or 1 with the child's error on stderr), so
// that a script knows the node serves RPC when the command returns. The
// child runs on in a new session with stdin, stdout and stderr on
// /dev/null; what it would print goes to debug.log and, while a parent
// waits, through the report.
//
// Fork before any thread starts (libtorch's and LevelDB's pools do not
// survive fork; -model builds an engine) and before the datadir lock, which
// must be the child's.
//
// Thread safety: Daemonize before any thread; a StartupReport from one thread.

#ifndef COMPUTECOIN_NODE_DAEMON_H
#define COMPUTECOIN_NODE_DAEMON_H

#include <filesystem>
#include <memory>
#include <string>

#include "chain/status.h"
#include "node/common/config.h"

namespace cc {

void AddDaemonArgs(Config* c);

/// The write end of the pipe a -daemonwait parent reads; empty otherwise.
class StartupReport {
 public:
  StartupReport() = default;
  ~StartupReport();
  StartupReport(const StartupReport&) = delete;
  StartupReport& operator=(const StartupReport&) = delete;

  /// Tells a waiting parent how start-up ended: OK, or the error it prints.
  /// The first call counts; later ones and calls with no parent waiting do
  /// nothing.
  void Send(const Status& status);

 private:
  friend Status Daemonize(const Config& config, StartupReport* report);
  int fd_ = -1;
};

/// With -daemon or -daemonwait: forks, and returns OK in the child only (the
/// parent exits here: 0 at once without -daemonwait; with it, 0 once the
/// child reports success, 1 with the child's error, or 1 if the child ends
/// without reporting). Without them: OK, nothing done. Returns IOError if
/// the fork or the pipe fails. REQUIRES: no thread has started.
Status Daemonize(const Config& config, StartupReport* report);

/// Writes this process's id to -pid (default computecoind.pid; relative to
/// `network_dir`) and removes the file when destroyed.
class PidFile {
 public:
  static Status Create(const Config& config, const std::filesystem::path& network_dir,
                       std::unique_ptr<PidFile>* out);
  ~PidFile();
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;

 private:
  explicit PidFile(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_DAEMON_H
