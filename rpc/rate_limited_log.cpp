#include "rpc/rate_limited_log.h"

#include <utility>

namespace cc::rpc {

RateLimitedLog::RateLimitedLog(Sink sink, Clock::duration interval,
                               std::function<Clock::time_point()> now)
    : sink_(std::move(sink)), interval_(interval), now_(std::move(now)) {}

std::string RateLimitedLog::WithCount(const std::string& line, uint64_t suppressed) {
  if (suppressed == 0) return line;
  return line + " (" + std::to_string(suppressed) + " similar messages suppressed)";
}

void RateLimitedLog::Log(std::string_view condition, const std::string& line) {
  const Clock::time_point now = now_();
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = conditions_.find(condition);
  if (it == conditions_.end()) {
    it = conditions_.emplace(std::string(condition), Condition{}).first;
  } else if (now - it->second.last_written < interval_) {
    ++it->second.suppressed;
    it->second.last_line = line;
    return;
  }
  Condition& state = it->second;
  if (sink_) sink_(WithCount(line, state.suppressed));
  state.last_written = now;
  state.suppressed = 0;
  state.last_line.clear();
}

void RateLimitedLog::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [condition, state] : conditions_) {
    if (state.suppressed == 0) continue;
    if (sink_) sink_(WithCount(state.last_line, state.suppressed));
    state.suppressed = 0;
    state.last_line.clear();
  }
}

}  // namespace cc::rpc
