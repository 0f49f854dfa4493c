// The relay table of holders' announcements (net/serve_relay.h): newer
// replaces older, stale and future ones are refused, load-only changes are
// kept but not relayed until kServeRelayRefresh, and the table stays bounded.

#include "net/serve_relay.h"

#include <gtest/gtest.h>

#include <string>

#include "chain/key.h"

namespace cc::net {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // ms

ServeInfoMsg Signed(const PrivateKey& key, int64_t time, uint32_t sessions = 0) {
  ServeInfoMsg m;
  m.section_begin = 0;
  m.section_end = 1;
  m.max_sessions = 8;
  m.sessions = sessions;
  m.onion_key = key.PublicKey();
  m.time = time;
  m.signature = key.Sign(ServeInfoSigningHash(m));
  return m;
}

using Outcome = ServeAnnouncements::Outcome;

TEST(ServeRelayTest, NewerReplacesOlderAndIsRelayedOnce) {
  ServeAnnouncements table;
  const PrivateKey key = PrivateKey::Generate();
  std::string reason;
  EXPECT_EQ(table.Add(Signed(key, kNow), kNow, &reason), Outcome::kRelay);
  EXPECT_EQ(table.Add(Signed(key, kNow), kNow, &reason), Outcome::kKnown);
  EXPECT_EQ(table.Add(Signed(key, kNow - 1), kNow, &reason), Outcome::kKnown);
  ServeInfoMsg moved = Signed(key, kNow + 5);
  moved.section_end = 2;  // a new offer: relayed at once
  moved.signature = key.Sign(ServeInfoSigningHash(moved));
  EXPECT_EQ(table.Add(moved, kNow, &reason), Outcome::kRelay);
  ASSERT_EQ(table.size(), 1u);
  EXPECT_EQ(table.All(kNow).front(), moved);
}

TEST(ServeRelayTest, LoadChangesAreKeptButRelayedOnlyAfterTheRefresh) {
  ServeAnnouncements table;
  const PrivateKey key = PrivateKey::Generate();
  std::string reason;
  ASSERT_EQ(table.Add(Signed(key, kNow), kNow, &reason), Outcome::kRelay);
  EXPECT_EQ(table.Add(Signed(key, kNow + 1, 3), kNow, &reason), Outcome::kStored);
  EXPECT_EQ(table.All(kNow).front().sessions, 3u);
  const int64_t refresh = kServeRelayRefresh.count();
  EXPECT_EQ(table.Add(Signed(key, kNow + refresh - 1, 4), kNow, &reason), Outcome::kStored);
  EXPECT_EQ(table.Add(Signed(key, kNow + refresh, 5), kNow + refresh, &reason), Outcome::kRelay);
}

TEST(ServeRelayTest, StaleAndFutureAnnouncementsAreRefusedAndOldOnesExpire) {
  ServeAnnouncements table;
  const PrivateKey key = PrivateKey::Generate();
  const int64_t lifetime = kServeAnnouncementLifetime.count();
  const int64_t ahead = kServeAnnouncementMaxAhead.count();
  std::string reason;
  EXPECT_EQ(table.Add(Signed(key, kNow - lifetime - 1), kNow, &reason), Outcome::kRefused);
  EXPECT_EQ(reason, "serve-stale");
  EXPECT_EQ(table.Add(Signed(key, kNow + ahead + 1), kNow, &reason), Outcome::kRefused);
  EXPECT_EQ(reason, "serve-time-too-new");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.Add(Signed(key, kNow + ahead), kNow, &reason), Outcome::kRelay);
  EXPECT_EQ(table.All(kNow + ahead + lifetime).size(), 1u);
  EXPECT_TRUE(table.All(kNow + ahead + lifetime + 1).empty());
}

TEST(ServeRelayTest, AFullTableEvictsTheOldestForANewerOneOnly) {
  ServeAnnouncements table;
  std::string reason;
  const PrivateKey first = PrivateKey::Generate();
  ASSERT_EQ(table.Add(Signed(first, kNow - 1000), kNow, &reason), Outcome::kRelay);
  for (size_t i = 1; i < kMaxServeAnnouncements; ++i)
    ASSERT_EQ(table.Add(Signed(PrivateKey::Generate(), kNow), kNow, &reason), Outcome::kRelay);
  ASSERT_EQ(table.size(), kMaxServeAnnouncements);
  // Older than every entry: refused, nothing evicted.
  EXPECT_EQ(table.Add(Signed(PrivateKey::Generate(), kNow - 2000), kNow, &reason),
            Outcome::kRefused);
  EXPECT_EQ(reason, "serve-table-full");
  // Newer than the oldest: it takes that entry's place.
  const ServeInfoMsg newer = Signed(PrivateKey::Generate(), kNow - 500);
  EXPECT_EQ(table.Add(newer, kNow, &reason), Outcome::kRelay);
  EXPECT_EQ(table.size(), kMaxServeAnnouncements);
  bool first_kept = false, newer_kept = false;
  for (const ServeInfoMsg& m : table.All(kNow)) {
    first_kept = first_kept || m.onion_key == first.PublicKey();
    newer_kept = newer_kept || m.onion_key == newer.onion_key;
  }
  EXPECT_FALSE(first_kept);
  EXPECT_TRUE(newer_kept);
}

}  // namespace
}  // namespace cc::net
