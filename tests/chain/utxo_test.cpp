// UTXO set: connect/disconnect of random blocks restores byte-identical
// sets, reorgs, reopen, and refusal of blocks the set cannot apply exactly.

#include <algorithm>
#include <memory>
#include <vector>

#include <gtest/gtest.h>
#include <leveldb/write_batch.h>

#include "chain/chain_state.h"
#include "chain/utxo.h"
#include "tests/chain/store_test_util.h"

namespace cc {
namespace {

using test::BlockGenerator;
using test::CoinsBytes;

class UtxoTest : public testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    const Status s = ChainState::Open(dir_.Sub("chainstate"), test::FastOptions(), &chain_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Reopen() {
    chain_.reset();
    Open();
  }
  Block ConnectNew(int max_txs = 8) {
    Block block = gen_.MakeNext(*chain_, max_txs);
    const Status s = chain_->ConnectTip(block);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return block;
  }
  Block Disconnect() {
    Block block;
    const Status s = chain_->DisconnectTip(&block);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return block;
  }
  uint32_t TipHeight() {
    Uint256 hash;
    uint32_t height = 0;
    EXPECT_TRUE(chain_->GetTip(&hash, &height).ok());
    return height;
  }
  Uint256 TipHash() {
    Uint256 hash;
    uint32_t height = 0;
    EXPECT_TRUE(chain_->GetTip(&hash, &height).ok());
    return hash;
  }

  test::TempDir dir_;
  BlockGenerator gen_{/*seed=*/42};
  std::unique_ptr<ChainState> chain_;
};

TEST_F(UtxoTest, ConnectAddsOutputsAndSpendsInputs) {
  ConnectNew(0);
  const Block next = ConnectNew(4);
  ASSERT_GE(next.txs.size(), 2u);

  const Transaction& spend = next.txs.back();  // no later transaction spends its outputs
  Coin coin;
  for (const TxIn& in : spend.inputs) {
    EXPECT_TRUE(chain_->GetCoin(in.prevout, &coin).IsNotFound());
  }
  ASSERT_TRUE(chain_->GetCoin(OutPoint{spend.Txid(), 0}, &coin).ok());
  EXPECT_EQ(coin.out, spend.outputs[0]);
  EXPECT_EQ(coin.height, 1u);
  EXPECT_FALSE(coin.coinbase);

  // A coinbase output is marked as one, with its height, and is immature.
  const Block only_coinbase = ConnectNew(0);
  ASSERT_TRUE(chain_->GetCoin(OutPoint{only_coinbase.txs[0].Txid(), 0}, &coin).ok());
  EXPECT_TRUE(coin.coinbase);
  EXPECT_EQ(coin.height, 2u);
  EXPECT_FALSE(coin.IsMature(2 + kCoinbaseMaturity - 1));
  EXPECT_TRUE(coin.IsMature(2 + kCoinbaseMaturity));
}

TEST_F(UtxoTest, GetCoinOfUnknownOutpointIsNotFound) {
  ConnectNew(0);
  Coin coin;
  EXPECT_TRUE(chain_->GetCoin(OutPoint{Uint256(), 7}, &coin).IsNotFound());
}

TEST_F(UtxoTest, DisconnectRestoresByteIdenticalSetAtEveryDepth) {
  std::vector<std::vector<uint8_t>> before;  // before[h]: set with tip at h - 1
  for (int h = 0; h < 12; ++h) {
    before.push_back(CoinsBytes(*chain_));
    ConnectNew(10);
  }
  for (int h = 11; h >= 0; --h) {
    Disconnect();
    EXPECT_EQ(CoinsBytes(*chain_), before[h]) << "after disconnecting height " << h;
  }
  Uint256 hash;
  uint32_t height = 0;
  EXPECT_TRUE(chain_->GetTip(&hash, &height).IsNotFound());
  EXPECT_TRUE(CoinsBytes(*chain_).empty());
}

TEST_F(UtxoTest, DisconnectRestoresSpendsWithinOneBlock) {
  ConnectNew(0);
  const std::vector<uint8_t> before = CoinsBytes(*chain_);
  Uint256 tip = TipHash();
  // A transaction spending the coinbase of its own block, then a second one
  // spending the first.
  Block block;
  block.header.height = 1;
  block.header.prev = tip;
  Transaction coinbase;
  coinbase.lock_height = 1;
  coinbase.outputs.push_back(TxOut{10 * kCoin, OutputKind::kPayToKeyHash, Uint256()});
  Transaction first;
  first.inputs.push_back(TxIn{OutPoint{coinbase.Txid(), 0}, {}, {}});
  first.outputs.push_back(TxOut{9 * kCoin, OutputKind::kPayToKeyHash, Uint256()});
  Transaction second;
  second.inputs.push_back(TxIn{OutPoint{first.Txid(), 0}, {}, {}});
  second.outputs.push_back(TxOut{8 * kCoin, OutputKind::kWorkerBond, Uint256()});
  second.outputs.push_back(TxOut{0, OutputKind::kWorkerPayout, Uint256()});
  block.txs = {coinbase, first, second};
  ASSERT_TRUE(chain_->ConnectTip(block).ok());

  Coin coin;
  EXPECT_TRUE(chain_->GetCoin(OutPoint{coinbase.Txid(), 0}, &coin).IsNotFound());
  EXPECT_TRUE(chain_->GetCoin(OutPoint{first.Txid(), 0}, &coin).IsNotFound());
  ASSERT_TRUE(chain_->GetCoin(OutPoint{second.Txid(), 0}, &coin).ok());
  EXPECT_EQ(coin.out.kind, OutputKind::kWorkerBond);
  // The bond's payout is a commitment, never a coin.
  EXPECT_TRUE(chain_->GetCoin(OutPoint{second.Txid(), 1}, &coin).IsNotFound());

  BlockUndo undo;
  ASSERT_TRUE(chain_->ReadUndo(block.Hash(), &undo).ok());
  ASSERT_EQ(undo.txs.size(), 2u);
  EXPECT_EQ(undo.txs[0].spent[0], (Coin{coinbase.outputs[0], 1, true}));
  EXPECT_EQ(undo.txs[1].spent[0], (Coin{first.outputs[0], 1, false}));

  Disconnect();
  EXPECT_EQ(CoinsBytes(*chain_), before);
}

TEST_F(UtxoTest, ReorgToOtherBranchAndBack) {
  std::vector<Block> branch_a;
  for (int h = 0; h < 10; ++h) branch_a.push_back(ConnectNew(8));
  const std::vector<uint8_t> set_a = CoinsBytes(*chain_);

  // Replace the last 4 blocks by a 6-block branch.
  const Uint256 fork = branch_a[5].Hash();
  for (int i = 0; i < 4; ++i) Disconnect();
  ASSERT_EQ(TipHash(), fork);
  std::vector<Block> branch_b;
  for (int h = 0; h < 6; ++h) branch_b.push_back(ConnectNew(8));
  EXPECT_EQ(TipHeight(), 11u);
  EXPECT_NE(CoinsBytes(*chain_), set_a);

  // The UTXO set equals that of a chain that never saw branch A's tail.
  {
    test::TempDir other_dir;
    std::unique_ptr<ChainState> other;
    ASSERT_TRUE(ChainState::Open(other_dir.Sub("cs"), test::FastOptions(), &other).ok());
    for (int h = 0; h < 6; ++h) ASSERT_TRUE(other->ConnectTip(branch_a[h]).ok());
    for (const Block& b : branch_b) ASSERT_TRUE(other->ConnectTip(b).ok());
    EXPECT_EQ(CoinsBytes(*other), CoinsBytes(*chain_));
  }

  // Branch A's tail is still stored; FindFork leads back to the fork point.
  Uint256 found;
  ASSERT_TRUE(chain_->FindFork(branch_a[9].Hash(), &found).ok());
  EXPECT_EQ(found, fork);
  for (int h = 6; h < 10; ++h) {
    EXPECT_TRUE(chain_->HaveBlock(branch_a[h].Hash()));
    BlockUndo undo;
    EXPECT_TRUE(chain_->ReadUndo(branch_a[h].Hash(), &undo).IsNotFound());
  }

  // Reorg back, reading branch A from the store.
  while (TipHash() != fork) Disconnect();
  for (int h = 6; h < 10; ++h) {
    Block stored;
    ASSERT_TRUE(chain_->ReadBlock(branch_a[h].Hash(), &stored).ok());
    ASSERT_TRUE(chain_->ConnectTip(stored).ok());
  }
  EXPECT_EQ(CoinsBytes(*chain_), set_a);
  for (int h = 0; h < 10; ++h) {
    Uint256 at;
    ASSERT_TRUE(chain_->GetBlockHashAtHeight(h, &at).ok());
    EXPECT_EQ(at, branch_a[h].Hash());
  }
  Uint256 above;
  EXPECT_TRUE(chain_->GetBlockHashAtHeight(10, &above).IsNotFound());
}

TEST_F(UtxoTest, ReopenGivesSameState) {
  for (int h = 0; h < 6; ++h) ConnectNew(8);
  const std::vector<uint8_t> coins = CoinsBytes(*chain_);
  const Uint256 tip = TipHash();
  Reopen();
  EXPECT_EQ(TipHash(), tip);
  EXPECT_EQ(TipHeight(), 5u);
  EXPECT_EQ(CoinsBytes(*chain_), coins);
  // And it keeps working: disconnect after reopen uses the stored undo data.
  Disconnect();
  ConnectNew(8);
  EXPECT_EQ(TipHeight(), 5u);
}

TEST_F(UtxoTest, ConnectRefusesMissingInputAndChangesNothing) {
  ConnectNew(0);
  const std::vector<uint8_t> before = CoinsBytes(*chain_);
  Block block = gen_.MakeNext(*chain_, 0);
  Transaction bad;
  bad.inputs.push_back(TxIn{OutPoint{Uint256(), 3}, {}, {}});
  bad.outputs.push_back(TxOut{1, OutputKind::kPayToKeyHash, Uint256()});
  block.txs.push_back(bad);

  const Status s = chain_->ConnectTip(block);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("missing coin"), std::string::npos) << s.ToString();
  EXPECT_EQ(TipHeight(), 0u);
  EXPECT_EQ(CoinsBytes(*chain_), before);
  EXPECT_FALSE(chain_->HaveBlock(block.Hash()));
}

TEST_F(UtxoTest, ConnectRefusesDoubleSpendWithinBlock) {
  ConnectNew(0);
  Block block = gen_.MakeNext(*chain_, 1);
  ASSERT_EQ(block.txs.size(), 2u);
  Transaction again = block.txs[1];
  again.outputs[0].value -= 1;  // different txid, same inputs
  block.txs.push_back(again);
  const Status s = chain_->ConnectTip(block);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(TipHeight(), 0u);
}

TEST_F(UtxoTest, ConnectRefusesOverwritingUnspentCoin) {
  const Block genesis = ConnectNew(0);
  // A coinbase identical to genesis's one (consensus would reject its
  // lock_height; storage must still refuse to lose the first coin).
  Block block;
  block.header.height = 1;
  block.header.prev = genesis.Hash();
  block.txs = {genesis.txs[0]};
  const Status s = chain_->ConnectTip(block);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("overwrite"), std::string::npos) << s.ToString();
}

TEST_F(UtxoTest, DisconnectRefusesUndoOfWrongShape) {
  ConnectNew(0);
  const Block block = ConnectNew(5);
  BlockUndo undo;
  ASSERT_TRUE(chain_->ReadUndo(block.Hash(), &undo).ok());
  ASSERT_FALSE(undo.txs.empty());

  leveldb::WriteBatch batch;
  BlockUndo short_undo = undo;
  short_undo.txs.pop_back();
  EXPECT_TRUE(chain_->utxo().DisconnectBlock(block, short_undo, &batch).IsInvalidArgument());
  BlockUndo short_tx = undo;
  short_tx.txs[0].spent.pop_back();
  EXPECT_TRUE(chain_->utxo().DisconnectBlock(block, short_tx, &batch).IsInvalidArgument());
  EXPECT_EQ(batch.ApproximateSize(), leveldb::WriteBatch().ApproximateSize());
  // The real undo data fits.
  EXPECT_TRUE(chain_->utxo().DisconnectBlock(block, undo, &batch).ok());
}

TEST_F(UtxoTest, SerializeCoinsIsInCanonicalOrder) {
  for (int h = 0; h < 4; ++h) ConnectNew(6);
  std::vector<OutPoint> order;
  ASSERT_TRUE(chain_->utxo()
                  .ForEachCoin([&order](const OutPoint& op, const Coin&) {
                    order.push_back(op);
                    return Status::OK();
                  })
                  .ok());
  ASSERT_GT(order.size(), 4u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  // The encoding is OutPoint, Coin for each, in that order.
  std::vector<uint8_t> expected;
  Writer w(&expected);
  for (const OutPoint& op : order) {
    Coin coin;
    ASSERT_TRUE(chain_->GetCoin(op, &coin).ok());
    w(op, coin);
  }
  EXPECT_EQ(CoinsBytes(*chain_), expected);
}

}  // namespace
}  // namespace cc
