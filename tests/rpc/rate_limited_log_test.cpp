// RateLimitedLog with a fake clock: one line per condition per interval, and
// the count of the lines left out.

#include "rpc/rate_limited_log.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cc::rpc {
namespace {

using namespace std::chrono_literals;

class RateLimitedLogTest : public ::testing::Test {
 protected:
  void Advance(RateLimitedLog::Clock::duration by) { now_ += by; }

  std::vector<std::string> lines_;
  RateLimitedLog::Clock::time_point now_{};
  RateLimitedLog log_{[this](const std::string& line) { lines_.push_back(line); }, 10s,
                      [this] { return now_; }};
};

TEST_F(RateLimitedLogTest, FirstLineIsWritten) {
  log_.Log("queue", "work queue full");
  EXPECT_EQ(lines_, std::vector<std::string>{"work queue full"});
}

TEST_F(RateLimitedLogTest, RepeatsWithinTheIntervalAreCounted) {
  for (int i = 0; i < 1000; ++i) log_.Log("queue", "work queue full");
  EXPECT_EQ(lines_.size(), 1u);
}

TEST_F(RateLimitedLogTest, NextLineAfterTheIntervalCarriesTheCount) {
  for (int i = 0; i < 1000; ++i) log_.Log("queue", "work queue full");
  Advance(10s);
  log_.Log("queue", "work queue full");
  EXPECT_EQ(lines_, (std::vector<std::string>{
                        "work queue full", "work queue full (999 similar messages suppressed)"}));
}

TEST_F(RateLimitedLogTest, JustBeforeTheIntervalIsStillCounted) {
  log_.Log("queue", "a");
  Advance(10s - 1ns);
  log_.Log("queue", "b");
  EXPECT_EQ(lines_, std::vector<std::string>{"a"});
}

TEST_F(RateLimitedLogTest, ConditionsAreLimitedSeparately) {
  log_.Log("queue", "work queue full");
  log_.Log("auth", "wrong password");
  log_.Log("queue", "work queue full");
  EXPECT_EQ(lines_, (std::vector<std::string>{"work queue full", "wrong password"}));
}

TEST_F(RateLimitedLogTest, QuietConditionLogsWithoutCount) {
  log_.Log("queue", "a");
  Advance(1h);
  log_.Log("queue", "b");
  EXPECT_EQ(lines_, (std::vector<std::string>{"a", "b"}));
}

TEST_F(RateLimitedLogTest, FlushWritesPendingCountsWithTheLatestLine) {
  log_.Log("auth", "wrong password from 127.0.0.1:1");
  log_.Log("auth", "wrong password from 127.0.0.1:2");
  log_.Log("auth", "wrong password from 127.0.0.1:3");
  log_.Flush();
  log_.Flush();  // nothing pending any more
  EXPECT_EQ(lines_, (std::vector<std::string>{
                        "wrong password from 127.0.0.1:1",
                        "wrong password from 127.0.0.1:3 (2 similar messages suppressed)"}));
}

TEST_F(RateLimitedLogTest, EmptySinkWritesNothing) {
  RateLimitedLog silent(nullptr, 10s);
  silent.Log("queue", "work queue full");
  silent.Flush();
  EXPECT_TRUE(lines_.empty());
}

}  // namespace
}  // namespace cc::rpc
