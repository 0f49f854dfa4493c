// The light client's header file: linkage checks, reorg truncation, and
// recovery from torn or corrupted files.

#include "node/client/header_chain.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "consensus/genesis.h"

namespace cc {
namespace {

class HeaderChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("cc_headers_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    path_ = dir_ / "light" / "headers.dat";
    genesis_ = BuildGenesisBlock(RegtestParams()).header;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Status Open() {
    chain_.reset();
    return HeaderChain::Open(path_, genesis_, &chain_);
  }

  // Headers 1..n after `parent`; `salt` makes different branches differ.
  static std::vector<BlockHeader> Extend(const BlockHeader& parent, int n, int64_t salt = 0) {
    std::vector<BlockHeader> out;
    BlockHeader prev = parent;
    for (int i = 0; i < n; ++i) {
      BlockHeader h;
      h.height = prev.height + 1;
      h.prev = prev.Hash();
      h.time = prev.time + 1 + salt;
      out.push_back(h);
      prev = h;
    }
    return out;
  }

  void FlipByte(size_t offset) {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 1));
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
  BlockHeader genesis_;
  std::unique_ptr<HeaderChain> chain_;
};

TEST_F(HeaderChainTest, RecordSizeIsFixed) { EXPECT_EQ(HeaderChain::kRecordSize, 280u); }

TEST_F(HeaderChainTest, AppendAndReopen) {
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(chain_->size(), 0u);
  std::vector<BlockHeader> headers = {genesis_};
  const std::vector<BlockHeader> more = Extend(genesis_, 5);
  headers.insert(headers.end(), more.begin(), more.end());
  ASSERT_TRUE(chain_->Append(headers).ok());
  EXPECT_EQ(chain_->size(), 6u);
  EXPECT_EQ(std::filesystem::file_size(path_), 6 * HeaderChain::kRecordSize);

  ASSERT_TRUE(Open().ok());
  ASSERT_EQ(chain_->size(), 6u);
  EXPECT_EQ(chain_->at(5), more.back());
  EXPECT_EQ(chain_->HashAt(3), more[2].Hash());
  ASSERT_NE(chain_->Find(more[1].Hash()), nullptr);
  EXPECT_EQ(chain_->Find(more[1].Hash())->height, 2u);
  EXPECT_EQ(chain_->Find(Uint256()), nullptr);
}

TEST_F(HeaderChainTest, FirstHeaderMustBeThisNetworksGenesis) {
  ASSERT_TRUE(Open().ok());
  const Status s = chain_->Append({BuildGenesisBlock(MainParams()).header});
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "header 0 is not this network's genesis block");
  EXPECT_EQ(chain_->size(), 0u);
}

TEST_F(HeaderChainTest, BrokenLinksAreRefusedAndNothingIsKept) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(chain_->Append({genesis_}).ok());
  std::vector<BlockHeader> headers = Extend(genesis_, 3);
  headers[2].prev = Uint256();  // header 3 does not point at header 2
  Status s = chain_->Append(headers);
  EXPECT_EQ(s.message(), "header 3: prev is not the hash of header 2");
  EXPECT_EQ(chain_->size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(path_), HeaderChain::kRecordSize);

  headers = Extend(genesis_, 2);
  headers[1].height = 7;
  s = chain_->Append(headers);
  EXPECT_EQ(s.message(), "header 2 has height 7");
  EXPECT_EQ(chain_->size(), 1u);
  EXPECT_EQ(chain_->Find(headers[0].Hash()), nullptr);  // the good first one was rolled back too
}

TEST_F(HeaderChainTest, TruncateFollowsAReorganisation) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(chain_->Append({genesis_}).ok());
  const std::vector<BlockHeader> old_branch = Extend(genesis_, 4);
  ASSERT_TRUE(chain_->Append(old_branch).ok());
  ASSERT_TRUE(chain_->Truncate(2).ok());  // keep genesis and header 1
  EXPECT_EQ(chain_->Find(old_branch[2].Hash()), nullptr);
  const std::vector<BlockHeader> new_branch = Extend(old_branch[0], 5, /*salt=*/100);
  ASSERT_TRUE(chain_->Append(new_branch).ok());
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(chain_->size(), 7u);
  EXPECT_EQ(chain_->at(6), new_branch.back());
}

TEST_F(HeaderChainTest, TornTrailingRecordIsCutOff) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(chain_->Append({genesis_}).ok());
  ASSERT_TRUE(chain_->Append(Extend(genesis_, 2)).ok());
  chain_.reset();
  std::filesystem::resize_file(path_, 3 * HeaderChain::kRecordSize - 17);  // a crash mid-append
  ASSERT_TRUE(Open().ok());
  EXPECT_EQ(chain_->size(), 2u);
  EXPECT_EQ(std::filesystem::file_size(path_), 2 * HeaderChain::kRecordSize);
}

TEST_F(HeaderChainTest, CorruptedHeaderIsReported) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(chain_->Append({genesis_}).ok());
  ASSERT_TRUE(chain_->Append(Extend(genesis_, 3)).ok());
  chain_.reset();
  FlipByte(2 * HeaderChain::kRecordSize + 10);  // inside header 2's prev
  const Status s = Open();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("header 2: prev is not the hash of header 1"), std::string::npos)
      << s.ToString();
}

TEST_F(HeaderChainTest, GarbageRecordIsReported) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(chain_->Append({genesis_}).ok());
  chain_.reset();
  {
    std::ofstream f(path_, std::ios::app | std::ios::binary);
    f << std::string(HeaderChain::kRecordSize, '\xff');
  }
  EXPECT_TRUE(Open().IsCorruption());
}

}  // namespace
}  // namespace cc
