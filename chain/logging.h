// The node's log: debug.log in the network directory and, with
// -printtoconsole, standard output. Each line is
//   2026-01-01T00:00:00.123456Z <message>
// (UTC, microseconds). Lines logged before the file is opened are kept and
// written first once it is, so start-up messages are not lost.
//
// Thread safety: all methods may be called from any thread (mu_).

#ifndef COMPUTECOIN_CHAIN_LOGGING_H
#define COMPUTECOIN_CHAIN_LOGGING_H

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"

namespace cc {

class Logger {
 public:
  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  /// Appends to `path` from now on. Returns IOError if it cannot be opened.
  Status OpenFile(const std::filesystem::path& path);
  /// Also writes every line to standard output.
  void SetPrintToConsole(bool print);
  /// Writes one line (a trailing newline in `message` is not doubled). A
  /// control byte within it (newline, NUL, escape, ...) is written as
  /// \xNN, so that no message can make or cut a line.
  void Log(std::string_view message);
  /// Flushes and closes the file; later lines go only to the console.
  void Close();

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;          // guarded by mu_
  bool print_to_console_ = false;      // guarded by mu_
  bool buffering_ = true;              // guarded by mu_: until OpenFile or Close
  std::vector<std::string> buffered_;  // guarded by mu_
};

/// The process's logger.
Logger& GetLogger();

/// GetLogger().Log(message).
void LogPrintf(std::string_view message);

/// "2026-01-01T00:00:00.123456Z" for now.
std::string LogTimestamp();

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_LOGGING_H
