// RateLimitedLog: writes a line for a repeated condition at most once per
// interval, and says how many it left out.
//
// A client can make the server hit the same condition thousands of times a
// second (work queue full, connection limit, wrong password); one line per
// occurrence once wrote 6 MB of log in 20 s. Each condition is a short fixed
// key chosen by our code ("workqueue"); the first line for it is written, the
// ones that follow within `interval` are counted, and the next line written
// after the interval ends with " (N similar messages suppressed)". Flush()
// writes the counts still pending, e.g. when the server stops.
//
//   RateLimitedLog log(sink, std::chrono::seconds(10));
//   log.Log("workqueue", "RPC: work queue depth exceeded");
//
// Thread safety: every method may be called from any thread; the sink is
// called with the log's mutex held, so lines never interleave and the sink
// must not call back into this log.

#ifndef COMPUTECOIN_RPC_RATE_LIMITED_LOG_H
#define COMPUTECOIN_RPC_RATE_LIMITED_LOG_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace cc::rpc {

class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;
  using Sink = std::function<void(const std::string& line)>;

  /// Writes to `sink` (nothing if it is empty), at most one line per
  /// condition per `interval`. `now` is the clock (tests pass a fake one).
  RateLimitedLog(Sink sink, Clock::duration interval,
                 std::function<Clock::time_point()> now = &Clock::now);
  RateLimitedLog(const RateLimitedLog&) = delete;
  RateLimitedLog& operator=(const RateLimitedLog&) = delete;

  /// Writes `line` if no line for `condition` was written in the last
  /// interval, with " (N similar messages suppressed)" appended when N > 0
  /// were counted since the last one; otherwise only counts it.
  /// REQUIRES: `condition` comes from a fixed set in our code, never from a
  /// client (each one seen is remembered for the log's lifetime).
  void Log(std::string_view condition, const std::string& line);

  /// For each condition with occurrences counted since its last line, writes
  /// the latest of them with " (N similar messages suppressed)", where N
  /// counts that one too; then clears the counts.
  void Flush();

 private:
  struct Condition {
    Clock::time_point last_written;
    uint64_t suppressed = 0;
    std::string last_line;  //!< the latest line counted, for Flush()
  };

  static std::string WithCount(const std::string& line, uint64_t suppressed);

  const Sink sink_;
  const Clock::duration interval_;
  const std::function<Clock::time_point()> now_;

  std::mutex mutex_;
  std::map<std::string, Condition, std::less<>> conditions_;  // guarded by mutex_
};

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_RATE_LIMITED_LOG_H
