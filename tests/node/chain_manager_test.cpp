// ChainManager on real stores: regtest generation with in-process workers,
// fork choice and reorg between two nodes' chains, reopen, and replay of the
// stored chain from genesis into a fresh consensus directory.

#include "node/chain_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace cc {
namespace {

PrivateKey Key(uint8_t seed) {
  std::array<uint8_t, 32> bytes{};
  bytes[0] = 0x17;
  bytes[31] = seed;
  return *PrivateKey::FromBytes(bytes);
}

struct TestNode {
  explicit TestNode(std::filesystem::path path, ChainManagerOptions options = {})
      : dir(std::move(path)), mopts(options) {
    Open();
  }
  void Open() {
    std::filesystem::create_directories(dir);
    BlockStoreOptions options;
    options.sync = false;
    ASSERT_TRUE(ChainState::Open((dir / "chainstate").string(), options, &chain).ok());
    mopts.sync = false;
    const Status s = ChainManager::Open(RegtestParams(), chain.get(), dir, mopts, &manager);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Close() {
    manager.reset();
    chain.reset();
  }
  std::filesystem::path dir;
  ChainManagerOptions mopts;
  std::unique_ptr<ChainState> chain;
  std::unique_ptr<ChainManager> manager;
};

class ChainManagerTest : public testing::Test {
 protected:
  ChainManagerTest()
      : root_(std::filesystem::temp_directory_path() /
              ("cc_chain_manager_" + std::to_string(getpid()) + "_" +
               testing::UnitTest::GetInstance()->current_test_info()->name())),
        workers_{Key(1), Key(2), Key(3)} {
    std::filesystem::remove_all(root_);
  }
  ~ChainManagerTest() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
  std::vector<PrivateKey> workers_;
};

TEST_F(ChainManagerTest, GenerateTrainsAndSurvivesReopen) {
  TestNode node(root_ / "a");
  const int64_t t0 = RegtestParams().genesis_time + 10;
  ASSERT_TRUE(node.manager->Generate(5, workers_, t0, nullptr).ok());
  const ConsensusState tip = node.manager->Tip();
  EXPECT_EQ(tip.height, 5u);
  EXPECT_EQ(tip.workers.size(), 3u);
  EXPECT_EQ(tip.step, 4u);  // block 1 registers, then one step per block
  EXPECT_GT(tip.last_loss, 0.0f);
  node.Close();
  node.Open();
  EXPECT_EQ(node.manager->Tip(), tip);
}

TEST_F(ChainManagerTest, HeavierBranchReorganizesExactly) {
  TestNode a(root_ / "a"), b(root_ / "b");
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> a_blocks, b_blocks;
  ASSERT_TRUE(a.manager->Generate(3, workers_, t0, &a_blocks).ok());
  ASSERT_TRUE(b.manager->Generate(5, workers_, t0 + 7, &b_blocks).ok());
  ASSERT_NE(a_blocks[0], b_blocks[0]);
  const ConsensusState a_tip = a.manager->Tip();

  // b's blocks reach a: the first ones are a lighter side branch, the last
  // ones make it heavier and a switches.
  for (const Uint256& h : b_blocks) {
    Block block;
    ASSERT_TRUE(b.chain->ReadBlock(h, &block).ok());
    for (const WorkRecord& r : block.records)  // relayed with the records, as P2P will
      for (const Uint256& out : r.outputs) {
        compute::EncodedTensor t;
        ASSERT_TRUE(b.manager->GetTensor(out, &t).ok());
        ASSERT_TRUE(a.manager->PutTensor(t, r.unit.step).ok());
      }
    ValidationState state;
    ASSERT_TRUE(a.manager->ProcessNewBlock(block, &state)) << state.ToString();
  }
  EXPECT_EQ(Serialize(a.manager->Tip()), Serialize(b.manager->Tip()));
  std::vector<uint8_t> utxo_a, utxo_b;
  ASSERT_TRUE(a.chain->utxo().SerializeCoins(&utxo_a).ok());
  ASSERT_TRUE(b.chain->utxo().SerializeCoins(&utxo_b).ok());
  EXPECT_EQ(utxo_a, utxo_b);

  // a's old blocks, offered again, do not take the tip back.
  Block old;
  ASSERT_TRUE(a.chain->ReadBlock(a_tip.block_hash, &old).ok());
  ValidationState state;
  EXPECT_TRUE(a.manager->ProcessNewBlock(old, &state));
  EXPECT_EQ(a.manager->Tip().block_hash, b_blocks.back());
}

TEST_F(ChainManagerTest, PrunesOldStepsAndKeepsTraining) {
  ChainManagerOptions options;
  options.keep_steps = 2;
  options.prune_interval = 4;
  TestNode node(root_ / "a", options);
  std::vector<Uint256> blocks;
  ASSERT_TRUE(node.manager->Generate(8, workers_, RegtestParams().genesis_time + 10, &blocks).ok());
  Block step1;  // block 2 carries step 1 (block 1 registers)
  ASSERT_TRUE(node.chain->ReadBlock(blocks[2], &step1).ok());
  compute::EncodedTensor t;
  EXPECT_TRUE(node.manager->GetTensor(step1.records[0].outputs[0], &t).IsNotFound());
  const ConsensusState tip = node.manager->Tip();
  EXPECT_EQ(tip.step, 7u);
  for (const SectionState& s : tip.sections)
    EXPECT_TRUE(node.manager->GetTensor(s.weights, &t).ok());
  ASSERT_TRUE(node.manager->Generate(1, workers_, 0, nullptr).ok());
  EXPECT_EQ(node.manager->Tip().step, 8u);
}

TEST_F(ChainManagerTest, FreshConsensusDirectoryReplaysEveryState) {
  TestNode node(root_ / "a");
  std::vector<Uint256> blocks;
  ASSERT_TRUE(node.manager->Generate(4, workers_, RegtestParams().genesis_time + 10, &blocks).ok());
  std::vector<ConsensusState> states;
  for (const Uint256& h : blocks) {
    ConsensusState s;
    ASSERT_TRUE(node.manager->GetState(h, &s).ok());
    states.push_back(s);
  }
  node.Close();
  std::filesystem::remove_all(root_ / "a" / "consensus");
  node.Open();
  for (size_t i = 0; i < blocks.size(); ++i) {
    ConsensusState s;
    ASSERT_TRUE(node.manager->GetState(blocks[i], &s).ok());
    EXPECT_EQ(Serialize(s), Serialize(states[i])) << "block " << i + 1;
  }
}

}  // namespace
}  // namespace cc
