// ChainManager on real stores: regtest generation with in-process workers,
// fork choice and reorg between two nodes' chains, reopen, and replay of the
// stored chain from genesis into a fresh consensus directory.

#include "validation/chain_manager.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "compute/torch/torch_engine.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

ChainManagerOptions WithTorch(ChainManagerOptions options = {}) {
  options.engine_factory = compute::MakeTorchEngine;
  return options;
}

// Records what a ChainListener is told, as "+<height>" and "-<height>".
class RecordingListener : public ChainListener {
 public:
  void BlockConnected(const Block& block, uint32_t height) override {
    events.push_back("+" + std::to_string(height));
    hashes.push_back(block.Hash());
  }
  void BlockDisconnected(const Block& block, uint32_t height) override {
    events.push_back("-" + std::to_string(height));
    hashes.push_back(block.Hash());
  }
  std::vector<std::string> events;
  std::vector<Uint256> hashes;
};

class ChainManagerTest : public testing::Test {
 protected:
  ChainManagerTest()
      : workers_{test::TestKey(1, 0x17), test::TestKey(2, 0x17), test::TestKey(3, 0x17)} {}

  std::filesystem::path Dir(const std::string& name) const {
    return std::filesystem::path(root_.path()) / name;
  }

  test::TempDir root_;
  std::vector<PrivateKey> workers_;
};

TEST_F(ChainManagerTest, GenerateTrainsAndSurvivesReopen) {
  test::TestChain node(Dir("a"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  const Status generated = node.manager->Generate(5, workers_, t0, nullptr);
  ASSERT_TRUE(generated.ok()) << generated.ToString();
  const ConsensusState tip = node.manager->Tip();
  EXPECT_EQ(tip.height, 5u);
  EXPECT_EQ(tip.workers.size(), 3u);
  EXPECT_EQ(tip.step, 4u);  // block 1 registers, then one step per block
  EXPECT_GT(tip.last_loss, 0.0f);
  node.Close();
  node.Open();
  EXPECT_EQ(node.manager->Tip(), tip);
}

// Two generate calls at once (two RPC clients) assembled on one tip, and
// one reported blocks the other had made stale. Every hash each returns is
// now on the chain, and the chain has every block asked for.
TEST_F(ChainManagerTest, ConcurrentGenerateCallsReturnOnlyBlocksOnTheChain) {
  test::TestChain node(Dir("a"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  ASSERT_TRUE(node.manager->Generate(1, workers_, t0, nullptr).ok());  // registers
  // The race is a matter of lock hand-over: before the fix, about one run
  // in four reported a stale block. A weak net, but the only one without a
  // hook between assembly and connection.
  for (int round = 0; round < 3; ++round) {
    const uint32_t height = node.manager->Tip().height;
    std::vector<Uint256> first, second;
    Status first_status, second_status;
    std::thread other([&] { second_status = node.manager->Generate(4, workers_, t0, &second); });
    first_status = node.manager->Generate(4, workers_, t0, &first);
    other.join();
    ASSERT_TRUE(first_status.ok()) << first_status.ToString();
    ASSERT_TRUE(second_status.ok()) << second_status.ToString();
    EXPECT_EQ(node.manager->Tip().height, height + 8);
    std::set<Uint256> on_chain;
    for (Uint256 h = node.manager->Tip().block_hash; !h.IsZero();) {
      on_chain.insert(h);
      Block block;
      ASSERT_TRUE(node.chain->ReadBlock(h, &block).ok());
      h = block.header.prev;
    }
    for (const std::vector<Uint256>* hashes : {&first, &second}) {
      EXPECT_EQ(hashes->size(), 4u);
      for (const Uint256& h : *hashes) EXPECT_TRUE(on_chain.count(h)) << h.ToHex();
    }
  }
}

// A heavier branch forking more than keep_steps steps back is stored but
// not switched to: the node could not re-verify it (the maximum reorg depth).
TEST_F(ChainManagerTest, BranchForkingBeyondRetentionIsNotSwitchedTo) {
  ChainManagerOptions options = WithTorch();
  options.keep_steps = 2;
  test::TestChain a(Dir("a"), options), b(Dir("b"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> b_blocks;
  ASSERT_TRUE(a.manager->Generate(5, workers_, t0, nullptr).ok());  // steps 0..3 done
  ASSERT_TRUE(b.manager->Generate(7, workers_, t0 + 7, &b_blocks).ok());
  const ConsensusState a_tip = a.manager->Tip();
  ASSERT_GT(a_tip.step, 0u + *options.keep_steps);  // the fork (genesis) is at step 0
  for (const Uint256& h : b_blocks) {
    Block block;
    ASSERT_TRUE(b.chain->ReadBlock(h, &block).ok());
    for (const WorkRecord& r : block.records)
      for (const Uint256& out : r.outputs) {
        compute::EncodedTensor t;
        ASSERT_TRUE(b.manager->GetTensor(out, &t).ok());
        ASSERT_TRUE(a.manager->PutTensor(t, r.unit.step).ok());
      }
    ValidationState state;
    EXPECT_TRUE(a.manager->ProcessNewBlock(block, &state)) << state.ToString();
  }
  EXPECT_GT(b.manager->Tip().accepted_work, a_tip.accepted_work);  // heavier, yet:
  EXPECT_EQ(a.manager->Tip(), a_tip);
  EXPECT_TRUE(a.chain->HaveBlock(b_blocks.back()));  // stored for the operator
}

// A node joining more than its peers' retention behind: the source keeps
// only the last keep_steps steps' tensors, so the joiner connects the older
// records without re-executing them (assume-valid below the best header,
// which header sync gave it first), fetches only what the first
// re-executed step reads, and ends with the source's state and its model.
TEST_F(ChainManagerTest, JoinsBeyondTheSourcesRetentionThroughAssumeValid) {
  ChainManagerOptions options = WithTorch();
  options.keep_steps = 4;
  test::TestChain source(Dir("source"), options), joiner(Dir("joiner"), options);
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> hashes;
  ASSERT_TRUE(source.manager->Generate(14, workers_, t0, &hashes).ok());
  const ConsensusState source_tip = source.manager->Tip();
  ASSERT_EQ(source_tip.step, 13u);
  std::vector<Block> blocks(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    ASSERT_TRUE(source.chain->ReadBlock(hashes[i], &blocks[i]).ok());
    ValidationState state;
    ASSERT_TRUE(joiner.manager->AcceptHeader(blocks[i].header, &state)) << state.ToString();
  }
  // Step 0's outputs are pruned at the source: re-executing block 2 (the
  // first with records) is impossible, which is what assume-valid is for.
  compute::EncodedTensor tensor;
  EXPECT_TRUE(
      source.manager->GetTensor(blocks[1].records.front().outputs.front(), &tensor).IsNotFound());

  size_t first_fetching = blocks.size();
  for (size_t i = 0; i < blocks.size(); ++i) {
    const std::vector<compute::TensorToFetch> wanted = joiner.manager->TensorsToConnect(blocks[i]);
    if (!wanted.empty() && first_fetching == blocks.size()) first_fetching = i;
    for (const compute::TensorToFetch& want : wanted) {
      ASSERT_TRUE(source.manager->GetTensor(want.hash, &tensor).ok())
          << "block " << i + 1 << " wants a tensor of step " << want.step << " the source pruned";
      // The download's bound is the tensor's own length: sections and outputs alike.
      EXPECT_EQ(want.length, Serialize(tensor).size()) << "block " << i + 1;
      ASSERT_TRUE(joiner.manager->PutTensor(tensor, want.step).ok());
    }
    ValidationState state;
    ASSERT_TRUE(joiner.manager->ProcessNewBlock(blocks[i], &state))
        << "block " << i + 1 << ": " << state.ToString();
    EXPECT_TRUE(joiner.manager->TensorsToConnect(blocks[i]).empty());  // connected: nothing
    // Genesis's weights at block 1; then none held until block 12's.
    EXPECT_EQ(joiner.manager->ModelLoaded(), i == 0 || i >= 11) << "block " << i + 1;
  }
  // Best header at step 13, margin keep_steps / 2: steps below 11 are
  // assumed valid; block 12 (step 10) fetches its UPDATE outputs first,
  // the weights step 11 reads.
  EXPECT_EQ(first_fetching, 11u);
  EXPECT_EQ(Serialize(joiner.manager->Tip()), Serialize(source_tip));
  EXPECT_EQ(joiner.Utxo(), source.Utxo());
  EXPECT_TRUE(joiner.manager->ModelLoaded());
  std::vector<std::string> from_joiner, from_source;
  const std::vector<std::string> prompts = {"12+34="};
  ASSERT_TRUE(joiner.manager->Complete(prompts, 4, &from_joiner).ok());
  ASSERT_TRUE(source.manager->Complete(prompts, 4, &from_source).ok());
  EXPECT_EQ(from_joiner, from_source);

  // Caught up: later blocks are re-executed in full, with every output but
  // UPDATE's, which the joiner recomputes from the lanes' gradients.
  ASSERT_TRUE(source.manager->Generate(1, workers_, t0 + 100, &hashes).ok());
  Block next;
  ASSERT_TRUE(source.chain->ReadBlock(hashes.back(), &next).ok());
  ValidationState state;
  ASSERT_TRUE(joiner.manager->AcceptHeader(next.header, &state));
  std::set<Uint256> missing, wanted, recomputed;
  for (const WorkRecord& r : next.records)
    for (const Uint256& h : r.outputs)
      if (!joiner.manager->HaveTensor(h))
        (r.unit.kind == UnitKind::kUpdate ? recomputed : missing).insert(h);
  for (const compute::TensorToFetch& want : joiner.manager->TensorsToConnect(next)) {
    wanted.insert(want.hash);
    EXPECT_EQ(want.step, source_tip.step);  // the step in progress there
    ASSERT_TRUE(source.manager->GetTensor(want.hash, &tensor).ok());
    EXPECT_EQ(want.length, Serialize(tensor).size());
  }
  EXPECT_FALSE(missing.empty());
  EXPECT_EQ(wanted, missing);
  ASSERT_FALSE(recomputed.empty()) << "the block should complete a step";
  for (const Uint256& h : wanted) {
    ASSERT_TRUE(source.manager->GetTensor(h, &tensor).ok());
    ASSERT_TRUE(joiner.manager->PutTensor(tensor, source_tip.step).ok());
  }
  ASSERT_TRUE(joiner.manager->ProcessNewBlock(next, &state)) << state.ToString();
  EXPECT_EQ(Serialize(joiner.manager->Tip()), Serialize(source.manager->Tip()));
  for (const Uint256& h : recomputed) EXPECT_TRUE(joiner.manager->HaveTensor(h));
  EXPECT_TRUE(joiner.manager->ModelLoaded());
}

// Without assume-valid (-assumevalid=0) every record is re-executed: the
// first block with records already wants step 0's outputs, which the
// source pruned, and cannot connect without them.
TEST_F(ChainManagerTest, WithoutAssumeValidTheFirstRecordsWantPrunedTensors) {
  ChainManagerOptions options = WithTorch();
  options.keep_steps = 4;
  test::TestChain source(Dir("source"), options);
  options.assume_valid = false;
  test::TestChain joiner(Dir("joiner"), options);
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> hashes;
  ASSERT_TRUE(source.manager->Generate(14, workers_, t0, &hashes).ok());
  std::vector<Block> blocks(hashes.size());
  for (size_t i = 0; i < hashes.size(); ++i) {
    ASSERT_TRUE(source.chain->ReadBlock(hashes[i], &blocks[i]).ok());
    ValidationState state;
    ASSERT_TRUE(joiner.manager->AcceptHeader(blocks[i].header, &state)) << state.ToString();
  }
  ValidationState state;
  // Block 1 has no records; block 2 carries step 0's.
  ASSERT_TRUE(joiner.manager->ProcessNewBlock(blocks[0], &state)) << state.ToString();
  const std::vector<compute::TensorToFetch> wanted = joiner.manager->TensorsToConnect(blocks[1]);
  ASSERT_FALSE(wanted.empty());
  compute::EncodedTensor tensor;
  EXPECT_TRUE(source.manager->GetTensor(wanted.front().hash, &tensor).IsNotFound());
  EXPECT_FALSE(joiner.manager->ProcessNewBlock(blocks[1], &state));
  EXPECT_EQ(state.reason(), "work-tensor-missing");
}

TEST_F(ChainManagerTest, HeavierBranchReorganizesExactly) {
  test::TestChain a(Dir("a"), WithTorch()), b(Dir("b"), WithTorch());
  const int64_t t0 = RegtestParams().genesis_time + 10;
  std::vector<Uint256> a_blocks, b_blocks;
  ASSERT_TRUE(a.manager->Generate(3, workers_, t0, &a_blocks).ok());
  ASSERT_TRUE(b.manager->Generate(5, workers_, t0 + 7, &b_blocks).ok());
  ASSERT_NE(a_blocks[0], b_blocks[0]);
  const ConsensusState a_tip = a.manager->Tip();
  RecordingListener listener;
  a.manager->AddListener(&listener);

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
  // Told once, when the fourth block made b's branch heavier: a's three
  // blocks left (tip first), then b's first four joined; the fifth followed on its own.
  EXPECT_EQ(listener.events, (std::vector<std::string>{"-3", "-2", "-1", "+1", "+2", "+3", "+4",
                                                        "+5"}));
  EXPECT_EQ(listener.hashes.front(), a_blocks[2]);
  EXPECT_EQ(listener.hashes.back(), b_blocks[4]);
  a.manager->RemoveListener(&listener);

  // a's old blocks, offered again, do not take the tip back.
  Block old;
  ASSERT_TRUE(a.chain->ReadBlock(a_tip.block_hash, &old).ok());
  ValidationState state;
  EXPECT_TRUE(a.manager->ProcessNewBlock(old, &state));
  EXPECT_EQ(a.manager->Tip().block_hash, b_blocks.back());
}

// The network's retention applies unless a test sets another; the store is
// pruned as the step advances (here, with 2 steps kept, at every step).
TEST_F(ChainManagerTest, PrunesOldStepsAndKeepsTraining) {
  ChainParams params = RegtestParams();
  params.tensor_retention_steps = 2;
  test::TestChain node(Dir("a"), WithTorch(), params);
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
  Block step5;  // within the retention: kept
  ASSERT_TRUE(node.chain->ReadBlock(blocks[6], &step5).ok());
  ASSERT_EQ(step5.records[0].unit.step, 5u);
  EXPECT_TRUE(node.manager->GetTensor(step5.records[0].outputs[0], &t).ok());
  ASSERT_TRUE(node.manager->Generate(1, workers_, 0, nullptr).ok());
  EXPECT_EQ(node.manager->Tip().step, 8u);
}

TEST_F(ChainManagerTest, FreshConsensusDirectoryReplaysEveryState) {
  test::TestChain node(Dir("a"), WithTorch());
  std::vector<Uint256> blocks;
  ASSERT_TRUE(node.manager->Generate(4, workers_, RegtestParams().genesis_time + 10, &blocks).ok());
  std::vector<ConsensusState> states;
  for (const Uint256& h : blocks) {
    ConsensusState s;
    ASSERT_TRUE(node.manager->GetState(h, &s).ok());
    states.push_back(s);
  }
  node.Close();
  std::filesystem::remove_all(Dir("a") / "consensus");
  node.Open();
  for (size_t i = 0; i < blocks.size(); ++i) {
    ConsensusState s;
    ASSERT_TRUE(node.manager->GetState(blocks[i], &s).ok());
    EXPECT_EQ(Serialize(s), Serialize(states[i])) << "block " << i + 1;
  }
}

// Issue 11: a consensus directory that lost its CURRENT file was recreated
// empty (and its files deleted) instead of being refused.
TEST_F(ChainManagerTest, DamagedConsensusDirectoryIsRefusedNotRecreated) {
  test::TestChain node(Dir("a"), WithTorch());
  ASSERT_TRUE(node.manager->Generate(2, workers_, RegtestParams().genesis_time + 10, nullptr).ok());
  node.Close();
  const std::filesystem::path consensus = Dir("a") / "consensus";
  ASSERT_TRUE(std::filesystem::remove(consensus / "CURRENT"));
  auto list = [&consensus] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(consensus)) {
      const std::string name = e.path().filename().string();
      if (!name.starts_with("LOG")) names.push_back(name);  // LevelDB rewrites LOG
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> before = list();
  BlockStoreOptions store_options;
  store_options.sync = false;
  ASSERT_TRUE(
      ChainState::Open((Dir("a") / "chainstate").string(), store_options, &node.chain).ok());
  const Status s =
      ChainManager::Open(node.params, node.chain.get(), Dir("a"), node.options, &node.manager);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "consensus snapshot database " + consensus.string() +
                             " is damaged (its CURRENT file is missing); restart with -reindex to "
                             "rebuild it from the stored blocks, or restore it from a backup");
  EXPECT_EQ(list(), before);
}

// A data directory made under other consensus rules (its snapshots do not
// decode, its blocks may be invalid) is refused with what to do, not read:
// before rule versions it failed with "non-canonical bool".
TEST_F(ChainManagerTest, ChainOfOtherRulesIsRefusedWithWhatToDo) {
  test::TestChain node(Dir("a"), WithTorch());
  ASSERT_TRUE(node.manager->Generate(2, workers_, RegtestParams().genesis_time + 10, nullptr).ok());
  const ConsensusState tip = node.manager->Tip();
  node.Close();
  auto set_version = [&](const std::string* value) {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open({}, (Dir("a") / "consensus").string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE((value ? db->Put({}, "v", *value) : db->Delete({}, "v")).ok());
  };
  auto open = [&] {
    BlockStoreOptions store_options;
    store_options.sync = false;
    EXPECT_TRUE(
        ChainState::Open((Dir("a") / "chainstate").string(), store_options, &node.chain).ok());
    return ChainManager::Open(node.params, node.chain.get(), Dir("a"), node.options,
                              &node.manager);
  };
  auto expected = [&](int version) {
    return "the chain in " + Dir("a").string() + " was made under consensus rules version " +
           std::to_string(version) +
           ", and this program implements version 4 (doc/consensus.md, \"Rule versions\"): its "
           "blocks may not be valid under these rules. Test networks restart after such a "
           "change: move that directory away or use another -datadir";
  };

  set_version(nullptr);  // written before versions existed
  Status s = open();
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_EQ(s.message(), expected(1));
  node.chain.reset();
  const std::string earlier("\x03\x00\x00\x00", 4);
  set_version(&earlier);
  s = open();
  EXPECT_EQ(s.message(), expected(3));
  node.chain.reset();
  const std::string later("\x05\x00\x00\x00", 4);
  set_version(&later);
  s = open();
  EXPECT_EQ(s.message(), expected(5));
  node.chain.reset();
  const std::string ours("\x04\x00\x00\x00", 4);
  set_version(&ours);
  ASSERT_TRUE(open().ok());
  EXPECT_EQ(node.manager->Tip(), tip);
}

}  // namespace
}  // namespace cc
