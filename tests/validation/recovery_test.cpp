// Recovery of the validated chain (issue 11): replay that resumes and never
// moves the tip back, a reorganisation a crash interrupted, verifychain's
// levels, and -reindex / -reindex-chainstate from the stored blocks. A
// "crash" is the on-disk state one leaves, built with the stores' own
// writes or with raw LevelDB edits while the node is closed.

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "compute/torch/torch_engine.h"
#include "consensus/genesis.h"
#include "tests/util/chain_harness.h"
#include "tests/util/test_util.h"
#include "validation/chain_manager.h"
#include "validation/reindex.h"

namespace cc {
namespace {

namespace fs = std::filesystem;

class RecoveryTest : public testing::Test {
 protected:
  RecoveryTest()
      : workers_{test::TestKey(1, 0x17), test::TestKey(2, 0x17), test::TestKey(3, 0x17)} {
    options_.engine_factory = compute::MakeTorchEngine;
  }

  fs::path Dir(const std::string& name) const { return fs::path(root_.path()) / name; }

  std::vector<Uint256> Generate(test::TestChain* node, uint32_t count, int64_t offset = 10) {
    std::vector<Uint256> hashes;
    const Status s =
        node->manager->Generate(count, workers_, RegtestParams().genesis_time + offset, &hashes);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return hashes;
  }

  std::vector<ConsensusState> States(const test::TestChain& node,
                                     const std::vector<Uint256>& hashes) {
    std::vector<ConsensusState> out(hashes.size());
    for (size_t i = 0; i < hashes.size(); ++i)
      EXPECT_TRUE(node.manager->GetState(hashes[i], &out[i]).ok()) << "block " << i;
    return out;
  }

  // Gives `to` the tensors of `from`'s blocks `hashes`, as P2P does.
  static void CopyTensors(const test::TestChain& from, test::TestChain* to,
                          const std::vector<Uint256>& hashes) {
    for (const Uint256& h : hashes) {
      Block block;
      ASSERT_TRUE(from.chain->ReadBlock(h, &block).ok());
      for (const WorkRecord& r : block.records)
        for (const Uint256& out : r.outputs) {
          compute::EncodedTensor t;
          ASSERT_TRUE(from.manager->GetTensor(out, &t).ok());
          ASSERT_TRUE(to->manager->PutTensor(t, r.unit.step).ok());
        }
    }
  }

  // Gives `to` the blocks `hashes` of `from` with their tensors.
  static void Relay(const test::TestChain& from, test::TestChain* to,
                    const std::vector<Uint256>& hashes) {
    CopyTensors(from, to, hashes);
    for (const Uint256& h : hashes) {
      Block block;
      ASSERT_TRUE(from.chain->ReadBlock(h, &block).ok());
      ValidationState state;
      ASSERT_TRUE(to->manager->ProcessNewBlock(block, &state)) << state.ToString();
    }
  }

  // Raw LevelDB access to a closed store: key prefix + hash.
  static std::string Key(char prefix, const Uint256& hash) {
    return std::string(1, prefix) + std::string(reinterpret_cast<const char*>(hash.data()), 32);
  }
  static void Put(const fs::path& db_path, const std::string& key, const std::string& value) {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), db_path.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
  }
  static std::string Get(const fs::path& db_path, const std::string& key) {
    leveldb::DB* raw = nullptr;
    EXPECT_TRUE(leveldb::DB::Open(leveldb::Options(), db_path.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    std::string value;
    EXPECT_TRUE(db->Get(leveldb::ReadOptions(), key, &value).ok());
    return value;
  }
  static void Delete(const fs::path& db_path, const std::string& key) {
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), db_path.string(), &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), key).ok());
  }

  // Opens the stores without asserting success (TestChain::Open asserts).
  Status TryOpen(test::TestChain* node) {
    BlockStoreOptions store_options;
    store_options.sync = false;
    Status s = ChainState::Open((node->dir / "chainstate").string(), store_options, &node->chain);
    if (!s.ok()) return s;
    return ChainManager::Open(node->params, node->chain.get(), node->dir, node->options,
                              &node->manager);
  }

  static uint32_t TipHeight(const ChainState& chain) {
    Uint256 hash;
    uint32_t height = 0;
    EXPECT_TRUE(chain.GetTip(&hash, &height).ok());
    return height;
  }

  test::TempDir root_;
  std::vector<PrivateKey> workers_;
  ChainManagerOptions options_;
};

// Issue 11: replay disconnected the whole chain before reconnecting it, so
// a replay that stopped halfway (kill -9, a bad block) left the chain tip
// far below where it was, for good.
TEST_F(RecoveryTest, FailedReplayLeavesTheTipWhereItWas) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 6);
  const std::vector<ConsensusState> states = States(node, blocks);
  node.Close();
  fs::remove_all(Dir("a") / "consensus");
  const fs::path chainstate = Dir("a") / "chainstate";
  const std::string good = Get(chainstate, Key('d', blocks[1]));
  Put(chainstate, Key('d', blocks[1]), "damaged");

  const Status s = TryOpen(&node);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  ASSERT_NE(node.chain, nullptr);
  EXPECT_EQ(TipHeight(*node.chain), 6u);
  node.Close();

  Put(chainstate, Key('d', blocks[1]), good);
  node.Open();
  EXPECT_EQ(node.manager->Tip(), states.back());
  EXPECT_EQ(States(node, blocks), states);
}

// What a crash halfway through replay leaves: snapshots up to some height.
TEST_F(RecoveryTest, PartialConsensusDirectoryResumesReplay) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 6);
  const std::vector<ConsensusState> states = States(node, blocks);
  const std::vector<uint8_t> utxo = node.Utxo();
  node.Close();
  for (size_t i = 3; i < blocks.size(); ++i) Delete(Dir("a") / "consensus", Key('s', blocks[i]));
  node.Open();
  EXPECT_EQ(States(node, blocks), states);
  EXPECT_EQ(node.manager->Tip(), states.back());
  EXPECT_EQ(node.Utxo(), utxo);
}

// A crash in the middle of a reorganisation from a's branch to b's leaves
// the chain on neither tip; reopening finishes the switch.
TEST_F(RecoveryTest, InterruptedReorganizationIsFinishedOnReopen) {
  test::TestChain a(Dir("a"), options_), b(Dir("b"), options_);
  const std::vector<Uint256> a_blocks = Generate(&a, 3);
  const std::vector<Uint256> b_blocks = Generate(&b, 5, 7);
  Relay(b, &a, b_blocks);
  const ConsensusState b_tip = b.manager->Tip();
  ASSERT_EQ(a.manager->Tip(), b_tip);
  a.Close();
  {  // back to b's second block, with the marker a reorganisation writes first
    std::unique_ptr<ChainState> chain;
    ASSERT_TRUE(ChainState::Open((Dir("a") / "chainstate").string(), {}, &chain).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(chain->DisconnectTip(nullptr).ok());
  }
  const std::string marker = std::string(reinterpret_cast<const char*>(a_blocks[2].data()), 32) +
                             std::string(reinterpret_cast<const char*>(b_blocks[4].data()), 32);
  Put(Dir("a") / "consensus", "r", marker);
  a.Open();
  EXPECT_EQ(a.manager->Tip(), b_tip);
  EXPECT_EQ(TipHeight(*a.chain), 5u);
  EXPECT_EQ(a.Utxo(), b.Utxo());
}

// The crash came after the marker, before the first disconnect: the chain
// is still at the old tip, and the heavier stored branch is adopted.
TEST_F(RecoveryTest, ReorganizationRecordedButNotStartedIsDoneOnReopen) {
  test::TestChain a(Dir("a"), options_), b(Dir("b"), options_);
  Generate(&a, 3);
  const std::vector<Uint256> b_blocks = Generate(&b, 5, 7);
  CopyTensors(b, &a, b_blocks);
  const Uint256 a_tip = a.manager->Tip().block_hash;
  a.Close();
  {
    std::unique_ptr<ChainState> chain;
    ASSERT_TRUE(ChainState::Open((Dir("a") / "chainstate").string(), {}, &chain).ok());
    for (const Uint256& h : b_blocks) {
      Block block;
      ASSERT_TRUE(b.chain->ReadBlock(h, &block).ok());
      ASSERT_TRUE(chain->StoreBlock(block).ok());
    }
  }
  Put(Dir("a") / "consensus", "r",
      std::string(reinterpret_cast<const char*>(a_tip.data()), 32) +
          std::string(reinterpret_cast<const char*>(b_blocks[4].data()), 32));
  a.Open();
  EXPECT_EQ(a.manager->Tip(), b.manager->Tip());
  EXPECT_EQ(a.Utxo(), b.Utxo());
}

TEST_F(RecoveryTest, VerifyChainPassesEveryLevelOnAHealthyChain) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 5);
  for (int level = 0; level <= 4; ++level) {
    EXPECT_TRUE(node.manager->VerifyChain(level, 0).ok()) << level;
    EXPECT_TRUE(node.manager->VerifyChain(level, 2).ok()) << level;
  }
}

// Level 4 reconnects the blocks and compares with the stored snapshots: a
// snapshot altered where its state root does not show is found only there.
TEST_F(RecoveryTest, VerifyChainLevelFourFindsAnAlteredSnapshot) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 5);
  node.Close();
  const fs::path consensus = Dir("a") / "consensus";
  ConsensusState state;
  const std::string bytes = Get(consensus, Key('s', blocks[3]));
  ASSERT_TRUE(Deserialize(std::vector<uint8_t>(bytes.begin(), bytes.end()), &state).ok());
  state.last_loss += 1.0f;
  const std::vector<uint8_t> altered = Serialize(state);
  Put(consensus, Key('s', blocks[3]), std::string(altered.begin(), altered.end()));
  node.Open();
  EXPECT_TRUE(node.manager->VerifyChain(3, 0).ok());
  const Status s = node.manager->VerifyChain(4, 0);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "block " + blocks[3].ToHex() +
                             ": its consensus snapshot differs from the reconnected state");
  EXPECT_TRUE(node.manager->VerifyChain(4, 1).ok());  // only the tip: not reached
}

TEST_F(RecoveryTest, VerifyChainFindsADamagedBlockAtLevelZero) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 4);
  node.Close();
  Put(Dir("a") / "chainstate", Key('d', blocks[1]), "damaged");
  node.Open();  // the tip's snapshot is there: nothing is read at open
  const Status s = node.manager->VerifyChain(0, 0);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_TRUE(s.message().starts_with("block " + blocks[1].ToHex() + " at height 2: "))
      << s.message();
  EXPECT_TRUE(node.manager->VerifyChain(0, 2).ok());
}

// A node whose tensor store was lost starts (it may catch up from peers),
// but generate said "the slot ... is held by a worker key this node lacks"
// although it held every key; it now names the missing weights.
TEST_F(RecoveryTest, GenerateWithoutTheTipsWeightsSaysSo) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 2);
  node.Close();
  fs::remove_all(Dir("a") / "tensors");
  node.Open();
  EXPECT_FALSE(node.manager->ModelLoaded());
  std::vector<Uint256> hashes;
  const Status s = node.manager->Generate(1, workers_, RegtestParams().genesis_time + 30, &hashes);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("no model is loaded"), std::string::npos) << s.message();
  EXPECT_TRUE(hashes.empty());
}

// Issue 11: a chain database that lost its data (here: all of it) opened as
// a new chain at height 0; the consensus database shows it had more.
TEST_F(RecoveryTest, ChainDatabaseThatLostItsBlocksIsRefused) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 3);
  node.Close();
  fs::remove_all(Dir("a") / "chainstate");
  const Status s = TryOpen(&node);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_TRUE(
      s.message().starts_with("the chain database holds no block above genesis, but the "
                              "consensus database holds the states of validated blocks"))
      << s.message();
}

class ReindexTest : public RecoveryTest {
 protected:
  // -reindex (or -reindex-chainstate) on `node`'s closed datadir, then
  // reopens it and re-validates. Returns the second phase's figures.
  ChainManager::ReindexStats Reindex(test::TestChain* node, ReindexMode mode) {
    BlockStoreOptions store_options;
    store_options.sync = false;
    Status s = RebuildChainDatabase(node->dir, mode, BuildGenesisBlock(node->params), store_options);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(ReindexPending(node->dir));
    node->Open();
    EXPECT_EQ(TipHeight(*node->chain), 0u);
    ChainManager::ReindexStats stats;
    s = node->manager->ActivateStoredBlocks(&stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(FinishReindex(node->dir).ok());
    EXPECT_FALSE(ReindexPending(node->dir));
    return stats;
  }
};

TEST_F(ReindexTest, RebuildsTheChainFromTheBlockRecords) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 5);
  const std::vector<ConsensusState> states = States(node, blocks);
  const std::vector<uint8_t> utxo = node.Utxo();
  node.Close();
  const ChainManager::ReindexStats stats = Reindex(&node, ReindexMode::kFull);
  EXPECT_EQ(stats.connected, 5u);
  EXPECT_EQ(stats.trusted, 0u);
  EXPECT_EQ(stats.rejected, 0u);
  EXPECT_EQ(States(node, blocks), states);
  EXPECT_EQ(node.Utxo(), utxo);
  EXPECT_FALSE(fs::exists(Dir("a") / "chainstate.old"));
  EXPECT_FALSE(fs::exists(Dir("a") / "chainstate.reindex"));
}

// A damaged block record cost every block above it: -reindex could not
// place them without their parent and dropped them with the old database.
// The damaged block now keeps its place as a header from the old index, the
// blocks above it are kept, and when a peer serves it again they connect.
TEST_F(ReindexTest, BlocksAboveADamagedRecordAreKeptAndConnectWhenItComesBack) {
  test::TestChain node(Dir("a"), options_), peer(Dir("b"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 5);
  Relay(node, &peer, blocks);
  const ConsensusState tip = node.manager->Tip();
  const std::vector<uint8_t> utxo = node.Utxo();
  node.Close();
  Put(Dir("a") / "chainstate", Key('d', blocks[2]), "damaged");
  const ChainManager::ReindexStats stats = Reindex(&node, ReindexMode::kFull);
  EXPECT_EQ(stats.connected, 2u);  // up to the damaged one
  EXPECT_EQ(stats.waiting, 2u);
  EXPECT_EQ(TipHeight(*node.chain), 2u);
  EXPECT_FALSE(node.chain->HaveBlock(blocks[2]));
  BlockIndexEntry header;
  EXPECT_TRUE(node.chain->ReadIndex(blocks[2], &header).ok());  // its place is kept
  EXPECT_TRUE(node.chain->HaveBlock(blocks[3]));
  EXPECT_TRUE(node.chain->HaveBlock(blocks[4]));
  Relay(peer, &node, {blocks[2]});  // a peer serves it again
  EXPECT_EQ(node.manager->Tip(), tip);
  EXPECT_EQ(node.Utxo(), utxo);
}

// A table cut short can take the genesis record and its index entry with
// it; every block above was then dropped as parentless ("found 0 stored
// blocks"). Genesis is a constant of the network: -reindex stores it first.
TEST_F(ReindexTest, LostGenesisRecordAndIndexEntryCostNothing) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 3);
  const ConsensusState tip = node.manager->Tip();
  const std::vector<uint8_t> utxo = node.Utxo();
  const Uint256 genesis = GenesisHash(node.params);
  node.Close();
  Put(Dir("a") / "chainstate", Key('d', genesis), "damaged");
  Put(Dir("a") / "chainstate", Key('b', genesis), "damaged");
  const ChainManager::ReindexStats stats = Reindex(&node, ReindexMode::kFull);
  EXPECT_EQ(stats.connected, 3u);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_EQ(node.manager->Tip(), tip);
  EXPECT_EQ(node.Utxo(), utxo);
}

// The branch a node had reorganised to is found again: its blocks come
// after the old branch's, whose blocks then have no consensus state, and
// must not be taken for blocks above a lost one (ActivateStoredBlocks).
TEST_F(ReindexTest, RebuildsTheBranchTheNodeHadReorganisedTo) {
  test::TestChain a(Dir("a"), options_), b(Dir("b"), options_);
  Generate(&a, 2);
  const std::vector<Uint256> heavier = Generate(&b, 4, 7);
  Relay(b, &a, heavier);
  const ConsensusState tip = a.manager->Tip();
  ASSERT_EQ(tip.block_hash, heavier.back());
  a.Close();
  const ChainManager::ReindexStats stats = Reindex(&a, ReindexMode::kFull);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_EQ(a.manager->Tip(), tip);
}

TEST_F(ReindexTest, ChainstateModeKeepsSideBranchesAndFailedMarks) {
  test::TestChain a(Dir("a"), options_), b(Dir("b"), options_);
  Generate(&a, 4);
  const std::vector<Uint256> side = Generate(&b, 2, 7);
  Relay(b, &a, side);  // a lighter branch: stored, not connected
  const ConsensusState tip = a.manager->Tip();
  const std::vector<uint8_t> utxo = a.Utxo();
  a.Close();
  const ChainManager::ReindexStats stats = Reindex(&a, ReindexMode::kChainstate);
  EXPECT_EQ(stats.connected,
            4u);  // the side branch is stored again, not validated
  EXPECT_EQ(a.manager->Tip(), tip);
  EXPECT_EQ(a.Utxo(), utxo);
  EXPECT_TRUE(a.chain->HaveBlock(side[1]));
}

// Issue 11: a chain database that lost its CURRENT file is refused with a
// pointer to -reindex, and -reindex brings the whole chain back.
TEST_F(ReindexTest, RecoversADatabaseThatLostItsCurrentFile) {
  test::TestChain node(Dir("a"), options_);
  const std::vector<Uint256> blocks = Generate(&node, 4);
  const ConsensusState tip = node.manager->Tip();
  const std::vector<uint8_t> utxo = node.Utxo();
  node.Close();
  ASSERT_TRUE(fs::remove(Dir("a") / "chainstate" / "CURRENT"));
  const Status s = TryOpen(&node);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("restart with -reindex"), std::string::npos) << s.message();
  node.Close();
  Reindex(&node, ReindexMode::kFull);
  EXPECT_EQ(node.manager->Tip(), tip);
  EXPECT_EQ(node.Utxo(), utxo);
}

// Retention dropped the tensors of old steps: those blocks are connected on
// trust (counted), the recent ones re-executed.
TEST_F(ReindexTest, TakesPrunedWorkOnTrustAndCountsIt) {
  ChainManagerOptions options = options_;
  options.keep_steps = 2;
  test::TestChain node(Dir("a"), options);
  const std::vector<Uint256> blocks = Generate(&node, 8);
  const ConsensusState tip = node.manager->Tip();
  node.Close();
  const ChainManager::ReindexStats stats = Reindex(&node, ReindexMode::kFull);
  EXPECT_EQ(stats.connected, 8u);
  EXPECT_GT(stats.trusted, 0u);
  EXPECT_LT(stats.trusted, 8u);
  EXPECT_EQ(node.manager->Tip(), tip);
}

// A crash between the two renames of the swap: the next start completes it.
TEST_F(ReindexTest, InterruptedSwapIsCompletedAtStart) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 3);
  const ConsensusState tip = node.manager->Tip();
  node.Close();
  fs::copy(Dir("a") / "chainstate", Dir("a") / "chainstate.reindex");
  std::ofstream(Dir("a") / "reindexing").close();
  fs::rename(Dir("a") / "chainstate", Dir("a") / "chainstate.old");
  ASSERT_TRUE(RecoverInterruptedReindex(Dir("a")).ok());
  EXPECT_TRUE(fs::exists(Dir("a") / "chainstate"));
  EXPECT_FALSE(fs::exists(Dir("a") / "chainstate.old"));
  EXPECT_FALSE(fs::exists(Dir("a") / "chainstate.reindex"));
  EXPECT_FALSE(fs::exists(Dir("a") / "consensus"));
  EXPECT_TRUE(ReindexPending(Dir("a")));
  node.Open();  // the copy's chain, replayed into fresh snapshots
  EXPECT_EQ(node.manager->Tip(), tip);
}

// A copy a crash cut short (no flag yet) is discarded; the old database stays.
TEST_F(ReindexTest, IncompleteCopyIsDiscarded) {
  test::TestChain node(Dir("a"), options_);
  Generate(&node, 2);
  const ConsensusState tip = node.manager->Tip();
  node.Close();
  fs::create_directories(Dir("a") / "chainstate.reindex");
  ASSERT_TRUE(RecoverInterruptedReindex(Dir("a")).ok());
  EXPECT_FALSE(fs::exists(Dir("a") / "chainstate.reindex"));
  EXPECT_FALSE(ReindexPending(Dir("a")));
  node.Open();
  EXPECT_EQ(node.manager->Tip(), tip);
}

}  // namespace
}  // namespace cc
