// RequestTracker on a fake clock: the first announcer is asked, later ones
// only when it fails, times out or goes; what arrives is forgotten.

#include "net/request_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace cc::net {
namespace {

using namespace std::chrono_literals;
using Clock = RequestTracker::Clock;
using Asks = std::vector<std::pair<Uint256, PeerId>>;

Uint256 Id(uint8_t tag) {
  Uint256 id;
  id.data()[0] = tag;
  return id;
}

class RequestTrackerTest : public testing::Test {
 protected:
  Asks Reassign(Clock::duration after) {
    abandoned_.clear();
    return tracker_.Reassign(t0_ + after, &abandoned_);
  }

  const Clock::time_point t0_ = Clock::now();
  RequestTracker tracker_{10s};
  std::vector<Uint256> abandoned_;
};

TEST_F(RequestTrackerTest, OnlyTheFirstAnnouncerIsAsked) {
  EXPECT_TRUE(tracker_.Announce(Id(1), 7, false, t0_));
  EXPECT_FALSE(tracker_.Announce(Id(1), 8, false, t0_));
  EXPECT_FALSE(tracker_.Announce(Id(1), 7, false, t0_));  // again: nothing new
  EXPECT_TRUE(tracker_.IsAskedOf(Id(1), 7));
  EXPECT_FALSE(tracker_.IsAskedOf(Id(1), 8));
  EXPECT_EQ(tracker_.AskedOf(7), 1u);
  EXPECT_EQ(tracker_.AskedOf(8), 0u);
  EXPECT_TRUE(Reassign(9s).empty()) << "not timed out yet";
}

// The withholding attack: peer 7 announces and never answers. Before the
// tracker, the id was asked of it alone, once, and peer 8's announcement
// was ignored.
TEST_F(RequestTrackerTest, ATimedOutRequestGoesToTheNextAnnouncerInOrder) {
  tracker_.Announce(Id(1), 7, false, t0_);
  tracker_.Announce(Id(1), 8, false, t0_ + 1s);
  tracker_.Announce(Id(1), 9, false, t0_ + 2s);
  EXPECT_EQ(Reassign(10s), (Asks{{Id(1), 8}}));
  EXPECT_TRUE(tracker_.IsAskedOf(Id(1), 8));
  EXPECT_FALSE(tracker_.IsAskedOf(Id(1), 7)) << "what it sends now is unasked";
  EXPECT_EQ(tracker_.AskedOf(7), 0u);
  EXPECT_TRUE(Reassign(19s).empty()) << "peer 8 has its own 10 s";
  EXPECT_EQ(Reassign(20s), (Asks{{Id(1), 9}}));
  EXPECT_TRUE(Reassign(30s).empty());
  EXPECT_EQ(abandoned_, std::vector<Uint256>{Id(1)}) << "nobody left: forgotten";
  EXPECT_FALSE(tracker_.Contains(Id(1)));
  EXPECT_TRUE(tracker_.Announce(Id(1), 7, false, t0_ + 31s)) << "a later announcement is taken afresh";
}

TEST_F(RequestTrackerTest, NotFoundAndDisconnectPassTheRequestOnAtOnce) {
  tracker_.Announce(Id(1), 7, false, t0_);
  tracker_.Announce(Id(1), 8, false, t0_);
  tracker_.Announce(Id(2), 7, false, t0_);
  tracker_.Announce(Id(2), 9, false, t0_);
  tracker_.NotFound(Id(1), 8);  // not the one asked: changes nothing
  EXPECT_TRUE(Reassign(1s).empty());
  tracker_.NotFound(Id(1), 7);
  EXPECT_EQ(Reassign(1s), (Asks{{Id(1), 8}}));
  tracker_.PeerGone(7);
  EXPECT_EQ(tracker_.AskedOf(7), 0u);
  EXPECT_EQ(Reassign(1s), (Asks{{Id(2), 9}}));
  tracker_.PeerGone(9);
  tracker_.PeerGone(8);
  EXPECT_TRUE(Reassign(1s).empty());
  EXPECT_EQ(abandoned_.size(), 2u);
  EXPECT_EQ(tracker_.size(), 0u);
}

TEST_F(RequestTrackerTest, WhatArrivesIsForgotten) {
  tracker_.Announce(Id(1), 7, false, t0_);
  tracker_.Announce(Id(1), 8, false, t0_);
  tracker_.Received(Id(1));
  EXPECT_FALSE(tracker_.Contains(Id(1)));
  EXPECT_EQ(tracker_.AskedOf(7), 0u);
  EXPECT_TRUE(Reassign(60s).empty());
  EXPECT_TRUE(abandoned_.empty());
}

// Inbound connections cost an attacker little: withholders announcing
// first would otherwise fill the list, and honest outbound peers that
// announced after them would wait behind them or not be remembered at all.
TEST_F(RequestTrackerTest, PreferredAnnouncersAreAskedFirstAndCannotBeCrowdedOut) {
  tracker_.Announce(Id(1), 0, false, t0_);
  for (PeerId p = 1; p <= 8; ++p) tracker_.Announce(Id(1), p, false, t0_);  // full
  tracker_.Announce(Id(1), 100, true, t0_);
  tracker_.Announce(Id(1), 101, true, t0_);
  tracker_.Announce(Id(1), 9, false, t0_);  // full, and not preferred: not kept
  EXPECT_EQ(Reassign(10s), (Asks{{Id(1), 100}}));
  EXPECT_EQ(Reassign(20s), (Asks{{Id(1), 101}}));
  std::vector<PeerId> then;
  for (int round = 3; round <= 12; ++round)
    for (const auto& [id, peer] : Reassign(round * 10s)) then.push_back(peer);
  EXPECT_EQ(then, (std::vector<PeerId>{1, 2, 3, 4, 5, 6})) << "7 and 8 made room";
}

TEST_F(RequestTrackerTest, LaterAnnouncersAreBounded) {
  tracker_.Announce(Id(1), 0, false, t0_);
  for (PeerId p = 1; p <= 20; ++p) tracker_.Announce(Id(1), p, false, t0_);
  std::vector<PeerId> asked;
  for (int round = 1; round <= 20; ++round)
    for (const auto& [id, peer] : Reassign(round * 10s)) asked.push_back(peer);
  ASSERT_EQ(asked.size(), RequestTracker::kMaxAlternates);
  for (size_t i = 0; i < asked.size(); ++i) EXPECT_EQ(asked[i], static_cast<PeerId>(i + 1));
}

}  // namespace
}  // namespace cc::net
