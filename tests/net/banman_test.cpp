// BanMan: manual bans (expiry, persistence, clearing) and discouragement.

#include "net/banman.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cc::net {
namespace {

class BanManTest : public ::testing::Test {
 protected:
  BanManTest() {
    dir_ = std::filesystem::temp_directory_path() /
           ("cc_banman_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~BanManTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<BanMan> Make() {
    return std::make_unique<BanMan>(dir_, [this] { return now_; });
  }
  static Service Addr(const char* text) { return *Service::Parse(text, 8333); }

  std::filesystem::path dir_;
  int64_t now_ = 1'700'000'000;
};

TEST_F(BanManTest, BanSubnetAndAddress) {
  auto bm = Make();
  ASSERT_TRUE(bm->Ban(*SubNet::Parse("10.1.0.0/16"), 1h).ok());
  ASSERT_TRUE(bm->Ban(*SubNet::Parse("2001:db8::5"), 1h).ok());
  EXPECT_TRUE(bm->IsBanned(Addr("10.1.200.3:1")));
  EXPECT_FALSE(bm->IsBanned(Addr("10.2.0.1")));
  EXPECT_TRUE(bm->IsBanned(Addr("[2001:db8::5]:9")));
  EXPECT_FALSE(bm->IsBanned(Addr("[2001:db8::6]:9")));
  EXPECT_EQ(bm->GetBanned().size(), 2u);
  EXPECT_TRUE(bm->Unban(*SubNet::Parse("10.1.0.0/16")).ok());
  EXPECT_TRUE(bm->Unban(*SubNet::Parse("10.1.0.0/16")).IsNotFound());
  EXPECT_FALSE(bm->IsBanned(Addr("10.1.200.3")));
}

TEST_F(BanManTest, BansExpire) {
  auto bm = Make();
  ASSERT_TRUE(bm->Ban(SubNet::Single(Addr("1.2.3.4")), 60s).ok());
  now_ += 59;
  EXPECT_TRUE(bm->IsBanned(Addr("1.2.3.4")));
  now_ += 1;
  EXPECT_FALSE(bm->IsBanned(Addr("1.2.3.4")));
  EXPECT_TRUE(bm->GetBanned().empty());
  EXPECT_TRUE(bm->Ban(SubNet::Single(Addr("1.2.3.4")), 0s).IsInvalidArgument());
}

TEST_F(BanManTest, PersistsAcrossRestartAndClears) {
  {
    auto bm = Make();
    ASSERT_TRUE(bm->Ban(*SubNet::Parse("192.168.0.0/24"), 24h).ok());
    ASSERT_TRUE(bm->Ban(SubNet::Single(Addr("8.8.8.8")), 10s).ok());
  }
  auto bm = Make();
  ASSERT_TRUE(bm->load_status().ok());
  const auto list = bm->GetBanned();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].until - list[0].created + list[1].until - list[1].created, 24 * 3600 + 10);
  EXPECT_TRUE(bm->IsBanned(Addr("192.168.0.77")));
  ASSERT_TRUE(bm->ClearBanned().ok());
  EXPECT_TRUE(Make()->GetBanned().empty());
}

TEST_F(BanManTest, CorruptFileIsRefused) {
  {
    auto bm = Make();
    ASSERT_TRUE(bm->Ban(SubNet::Single(Addr("8.8.8.8")), 10s).ok());
  }
  const auto path = dir_ / "banlist.dat";
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(3);
  f.put('\x55');
  f.close();
  auto bm = Make();
  EXPECT_EQ(bm->load_status().message(), "corrupt-file");
  EXPECT_TRUE(bm->GetBanned().empty());
}

TEST_F(BanManTest, DiscouragementIsBoundedAndNotListed) {
  auto bm = Make();
  bm->Discourage(Addr("5.6.7.8:1"));
  EXPECT_TRUE(bm->IsDiscouraged(Addr("5.6.7.8:2")));  // the IP, any port
  EXPECT_FALSE(bm->IsBanned(Addr("5.6.7.8")));
  EXPECT_TRUE(bm->GetBanned().empty());
  for (uint32_t i = 0; i < BanMan::kMaxDiscouraged; ++i) {
    bm->Discourage(Service::FromIPv4(10, static_cast<uint8_t>(i >> 16),
                                     static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i), 1));
  }
  EXPECT_FALSE(bm->IsDiscouraged(Addr("5.6.7.8")));  // rolled out, oldest first
  EXPECT_TRUE(bm->IsDiscouraged(Service::FromIPv4(10, 0, 0, 5, 1)));
  EXPECT_FALSE(Make()->IsDiscouraged(Service::FromIPv4(10, 0, 0, 5, 1)));  // not persisted
}

TEST(NetAddressTest, ParseAndFormat) {
  EXPECT_EQ(Service::Parse("127.0.0.1:8333", 1)->ToString(), "127.0.0.1:8333");
  EXPECT_EQ(Service::Parse("127.0.0.1", 1)->port, 1);
  EXPECT_EQ(Service::Parse("[::1]:5", 1)->ToString(), "[::1]:5");
  EXPECT_TRUE(Service::Parse("::1", 9)->IsLoopback());
  EXPECT_FALSE(Service::Parse("not-an-ip:5", 1).has_value());
  EXPECT_FALSE(Service::Parse("1.2.3.4:99999", 1).has_value());
  EXPECT_EQ(SubNet::Parse("10.1.2.3/16")->ToString(), "10.1.0.0/16");
  EXPECT_FALSE(SubNet::Parse("10.0.0.0/33").has_value());
  EXPECT_EQ(Service::FromIPv4(1, 2, 3, 4, 0).Group(), (std::vector<uint8_t>{4, 1, 2}));
}

}  // namespace
}  // namespace cc::net
