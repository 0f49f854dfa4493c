// AddrMan: bucketing limits one source, tried/new moves, persistence, corrupt files.

#include "net/addrman.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "net/peer.h"

namespace cc::net {
namespace {

/** GetAddr judges age by the real clock, so the tests date their entries now. */
const int64_t kNow = UnixTimeSeconds();

class AddrManTest : public ::testing::Test {
 protected:
  AddrManTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("cc_addrman_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~AddrManTest() override { std::filesystem::remove_all(dir_); }

  static AddrEntry Entry(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port = 8333) {
    return {
        .time = kNow - 100, .services = kNodeNetwork, .addr = Service::FromIPv4(a, b, c, d, port)};
  }
  /** `n` distinct addresses, consecutive ones in different /16s. */
  static std::vector<AddrEntry> Many(size_t n, uint8_t first_octet = 20) {
    std::vector<AddrEntry> out;
    for (size_t i = 0; i < n; ++i) {
      out.push_back(Entry(static_cast<uint8_t>(first_octet + (i >> 16)), static_cast<uint8_t>(i),
                          static_cast<uint8_t>(i >> 8), 1));
    }
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(AddrManTest, AddSelectAndDeduplicate) {
  AddrMan am(dir_, /*deterministic=*/true);
  EXPECT_FALSE(am.Select().has_value());
  const Service source = Service::FromIPv4(5, 5, 5, 5, 8333);
  EXPECT_EQ(am.Add({Entry(1, 2, 3, 4), Entry(1, 2, 3, 4)}, source, kNow), 1u);
  EXPECT_EQ(am.Add({Entry(1, 2, 3, 4)}, source, kNow), 0u);
  EXPECT_EQ(am.size(), 1u);
  auto pick = am.Select();
  ASSERT_TRUE(pick.has_value());
  EXPECT_EQ(pick->addr, Service::FromIPv4(1, 2, 3, 4, 8333));
  EXPECT_EQ(am.Add({Entry(0, 0, 0, 0), Entry(1, 1, 1, 1, 0)}, source, kNow), 0u);  // unroutable
}

TEST_F(AddrManTest, OneSourceGroupCannotFillTheNewTable) {
  AddrMan am(dir_, /*deterministic=*/true);
  // 100,000 addresses from one source: at most 64 buckets x 64 slots stick.
  const Service spammer = Service::FromIPv4(66, 66, 1, 1, 8333);
  am.Add(Many(100000), spammer, kNow);
  const size_t cap = AddrMan::kNewBucketsPerSourceGroup * AddrMan::kBucketSize;
  EXPECT_LE(am.size(), cap);
  EXPECT_GT(am.size(), cap / 2);
  // Another source group still gets its addresses in.
  const Service honest = Service::FromIPv4(77, 1, 1, 1, 8333);
  EXPECT_GT(am.Add(Many(200, 120), honest, kNow), 150u);
  // Same /16 as the spammer, different host: no new room.
  const Service spammer2 = Service::FromIPv4(66, 66, 9, 9, 8333);
  const size_t before = am.size();
  am.Add(Many(50000, 150), spammer2, kNow);
  EXPECT_LE(am.size() - before, cap);
}

TEST_F(AddrManTest, GoodMovesToTriedAndAttemptLowersChance) {
  AddrMan am(dir_, /*deterministic=*/true);
  const Service source = Service::FromIPv4(5, 5, 5, 5, 8333);
  am.Add({Entry(1, 2, 3, 4), Entry(9, 9, 9, 9)}, source, kNow);
  am.Good(Service::FromIPv4(1, 2, 3, 4, 8333), kNow);
  EXPECT_EQ(am.tried_count(), 1u);
  EXPECT_EQ(am.new_count(), 1u);
  auto fresh = am.Select(/*new_only=*/true);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->addr, Service::FromIPv4(9, 9, 9, 9, 8333));
  am.Attempt(Service::FromIPv4(9, 9, 9, 9, 8333), kNow);
  EXPECT_TRUE(am.Select().has_value());
}

TEST_F(AddrManTest, GetAddrIsBounded) {
  AddrMan am(dir_, /*deterministic=*/true);
  am.Add(Many(3000), Service::FromIPv4(5, 5, 5, 5, 8333), kNow);
  const size_t size = am.size();
  // GetAddr uses the real clock; entries dated kNow are recent enough.
  const size_t n = am.GetAddr(AddrMan::kMaxGetAddr, 23).size();
  EXPECT_LE(n, std::min<size_t>(1000, size * 23 / 100));
  EXPECT_GT(n, 0u);
  EXPECT_LE(am.GetAddr(10, 100).size(), 10u);
}

TEST_F(AddrManTest, PersistenceRoundTrip) {
  std::set<Service> saved;
  {
    AddrMan am(dir_);
    am.Add(Many(500), Service::FromIPv4(5, 5, 5, 5, 8333), kNow);
    am.Good(Service::FromIPv4(20, 3, 0, 1, 8333), kNow);
    for (const auto& e : am.GetAddr(100000, 100)) saved.insert(e.addr);
    ASSERT_TRUE(am.Save().ok());
    EXPECT_EQ(am.tried_count(), 1u);
  }
  AddrMan am(dir_);
  ASSERT_TRUE(am.Load().ok());
  EXPECT_EQ(am.tried_count(), 1u);
  std::set<Service> loaded;
  for (const auto& e : am.GetAddr(100000, 100)) loaded.insert(e.addr);
  EXPECT_GT(saved.size(), 400u);
  EXPECT_EQ(loaded, saved);
}

TEST_F(AddrManTest, CorruptOrMissingFileIsRefused) {
  AddrMan fresh(dir_);
  EXPECT_TRUE(fresh.Load().IsNotFound());
  {
    AddrMan am(dir_, /*deterministic=*/true);
    am.Add(Many(10), Service::FromIPv4(5, 5, 5, 5, 8333), kNow);
    ASSERT_TRUE(am.Save().ok());
  }
  const auto path = dir_ / "peers.dat";
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  AddrMan am(dir_, /*deterministic=*/true);
  am.Add(Many(3), Service::FromIPv4(5, 5, 5, 5, 8333), kNow);
  EXPECT_EQ(am.Load().message(), "corrupt-file");
  EXPECT_EQ(am.size(), 0u);
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "xyz";
  }
  EXPECT_EQ(am.Load().message(), "corrupt-file");
}

}  // namespace
}  // namespace cc::net
