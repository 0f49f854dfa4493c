// Checkpoints (doc/consensus.md §6) on real stores: a node whose parameters
// name a block of one chain follows that chain through it, refuses a branch
// that forks below it (bad-fork-prior-to-checkpoint), and refuses another
// block at a checkpoint's height (checkpoint-mismatch).

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compute/torch/torch_engine.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"
#include "validation/chain_manager.h"

namespace cc {
namespace {

ChainManagerOptions WithTorch() {
  ChainManagerOptions options;
  options.engine_factory = compute::MakeTorchEngine;
  return options;
}

class CheckpointsTest : public testing::Test {
 protected:
  CheckpointsTest() : workers_{test::TestKey(1, 0x17), test::TestKey(2, 0x17)} {}

  std::filesystem::path Dir(const std::string& name) const {
    return std::filesystem::path(root_.path()) / name;
  }

  // Gives `to` the block `hash` of `from` with the tensors its records output.
  static bool Relay(const test::TestChain& from, test::TestChain& to, const Uint256& hash,
                    ValidationState* state) {
    Block block;
    EXPECT_TRUE(from.chain->ReadBlock(hash, &block).ok());
    for (const WorkRecord& r : block.records)
      for (const Uint256& out : r.outputs) {
        compute::EncodedTensor t;
        EXPECT_TRUE(from.manager->GetTensor(out, &t).ok());
        EXPECT_TRUE(to.manager->PutTensor(t, r.unit.step).ok());
      }
    return to.manager->ProcessNewBlock(block, state);
  }

  test::TempDir root_;
  std::vector<PrivateKey> workers_;
};

TEST_F(CheckpointsTest, FollowsTheCheckpointedChainAndRefusesForksBelowIt) {
  test::TestChain a(Dir("a"), WithTorch()), fork(Dir("fork"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> a_blocks, fork_blocks;
  ASSERT_TRUE(a.manager->Generate(4, workers_, t0, &a_blocks).ok());
  ASSERT_TRUE(fork.manager->Generate(3, workers_, t0 + 7, &fork_blocks).ok());
  ASSERT_NE(a_blocks[0], fork_blocks[0]);

  ChainParams params = RegtestParams();
  params.checkpoints[3] = a_blocks[2];
  test::TestChain node(Dir("node"), WithTorch(), params);
  ValidationState state;
  // While the checkpoint's header is not held, a fork's header passes...
  Block fork1;
  ASSERT_TRUE(fork.chain->ReadBlock(fork_blocks[0], &fork1).ok());
  EXPECT_TRUE(node.manager->CheckCheckpoints(fork1.header, &state)) << state.ToString();
  // ...then the checkpointed chain is followed through the checkpoint.
  for (const Uint256& h : a_blocks) ASSERT_TRUE(Relay(a, node, h, &state)) << state.ToString();
  EXPECT_EQ(node.manager->Tip().block_hash, a_blocks.back());
  EXPECT_EQ(node.manager->Tip(), a.manager->Tip());

  // With the checkpoint's header held, a header below it that is new is a fork.
  EXPECT_FALSE(node.manager->CheckCheckpoints(fork1.header, &state));
  EXPECT_EQ(state.reason(), "bad-fork-prior-to-checkpoint");
  EXPECT_EQ(state.result(), ValidationResult::kConsensus);
  ValidationState refused;
  EXPECT_FALSE(Relay(fork, node, fork_blocks[0], &refused));
  EXPECT_EQ(refused.reason(), "bad-fork-prior-to-checkpoint");
  EXPECT_EQ(node.manager->Tip().block_hash, a_blocks.back());
  // Headers already held pass (they are the checkpointed chain).
  Block a2;
  ASSERT_TRUE(a.chain->ReadBlock(a_blocks[1], &a2).ok());
  ValidationState known;
  EXPECT_TRUE(node.manager->CheckCheckpoints(a2.header, &known)) << known.ToString();
}

TEST_F(CheckpointsTest, ABlockAtACheckpointsHeightMustBeThatBlock) {
  test::TestChain a(Dir("a"), WithTorch()), other(Dir("other"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> a_blocks, other_blocks;
  ASSERT_TRUE(a.manager->Generate(1, workers_, t0, &a_blocks).ok());
  ASSERT_TRUE(other.manager->Generate(1, workers_, t0 + 7, &other_blocks).ok());

  ChainParams params = RegtestParams();
  params.checkpoints[1] = a_blocks[0];
  test::TestChain node(Dir("node"), WithTorch(), params);
  ValidationState state;
  EXPECT_FALSE(Relay(other, node, other_blocks[0], &state));
  EXPECT_EQ(state.reason(), "checkpoint-mismatch");
  EXPECT_EQ(node.manager->Tip().height, 0u);
  ValidationState ok;
  EXPECT_TRUE(Relay(a, node, a_blocks[0], &ok)) << ok.ToString();
  EXPECT_EQ(node.manager->Tip().block_hash, a_blocks[0]);
}

}  // namespace
}  // namespace cc
