// Mempool: every entry rejection reason, fee-rate order for block assembly,
// eviction under the byte cap, removal on block connect, and re-adding
// transactions after a reorg. Transactions are signed with real keys and
// spend coins of a real ChainState in a temporary directory.

#include "chain/mempool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chain/chain_state.h"
#include "chain/channel.h"
#include "chain/key.h"
#include "chain/tx_sign.h"
#include "tests/chain/store_test_util.h"

namespace cc {
namespace {

/// Spend height far past every coin's maturity.
constexpr uint32_t kMatureHeight = 1000;
constexpr int kGenesisOutputs = 20;
constexpr Amount kCoinValue = 10 * kCoin;

PrivateKey KeyFromByte(uint8_t b) {
  std::array<uint8_t, 32> bytes{};
  bytes.fill(b);
  return *PrivateKey::FromBytes(bytes);
}

using Prevout = std::pair<OutPoint, TxOut>;

class MempoolTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ChainState::Open(dir_.Sub("chainstate"), test::FastOptions(), &chain_).ok());
    Transaction coinbase;
    for (int i = 0; i < kGenesisOutputs; ++i) coinbase.outputs.push_back(Pays(kCoinValue));
    genesis_ = MakeBlock(Uint256(), 0, {});
    genesis_.txs[0] = coinbase;
    genesis_.header.tx_root = genesis_.ComputeTxRoot();
    ASSERT_TRUE(chain_->ConnectTip(genesis_).ok());
  }

  TxOut Pays(Amount value) const {
    return TxOut{value, OutputKind::kPayToKeyHash, KeyHash(key_.PublicKey())};
  }
  /// Genesis coinbase output i.
  Prevout Funding(int i) const {
    return {OutPoint{genesis_.txs[0].Txid(), static_cast<uint32_t>(i)}, genesis_.txs[0].outputs[i]};
  }
  static Prevout Output(const Transaction& tx, uint32_t i) {
    return {OutPoint{tx.Txid(), i}, tx.outputs[i]};
  }

  /// A transaction spending `inputs` into outputs of `values`, signed by `signer`.
  Transaction Spend(const std::vector<Prevout>& inputs, const std::vector<Amount>& values,
                    const PrivateKey* signer = nullptr) const {
    const PrivateKey& key = signer != nullptr ? *signer : key_;
    Transaction tx;
    for (const Prevout& in : inputs) tx.inputs.push_back(TxIn{in.first, key.PublicKey(), {}});
    for (Amount v : values) tx.outputs.push_back(Pays(v));
    for (uint32_t i = 0; i < inputs.size(); ++i) {
      // Signing with a key that does not own the coin is refused by
      // SignInput; such inputs keep the pubkey and a zero signature.
      (void)SignInput(&tx, i, inputs[i].second, key).ok();
    }
    return tx;
  }
  /// Spends one input into one output, paying `fee`.
  Transaction Pay(const Prevout& in, Amount fee) const {
    return Spend({in}, {in.second.value - fee});
  }

  Block MakeBlock(const Uint256& prev, uint32_t height, std::vector<Transaction> txs) const {
    Block block;
    block.header.prev = prev;
    block.header.height = height;
    Transaction coinbase;
    coinbase.lock_height = height;
    coinbase.outputs.push_back(Pays(kCoinValue));
    block.txs.push_back(coinbase);
    for (Transaction& tx : txs) block.txs.push_back(std::move(tx));
    block.header.tx_root = block.ComputeTxRoot();
    return block;
  }

  ValidationState Accept(const Transaction& tx, uint32_t spend_height = kMatureHeight) {
    ValidationState state;
    const bool ok = pool_.AcceptTransaction(tx, *chain_, spend_height, &state);
    EXPECT_EQ(ok, state.IsValid()) << state.ToString();
    return state;
  }
  void ExpectAccepted(const Transaction& tx) {
    const ValidationState state = Accept(tx);
    EXPECT_TRUE(state.IsValid()) << state.ToString();
  }
  static size_t SizeOf(const Transaction& tx) { return Serialize(tx).size(); }
  std::vector<Uint256> Selected(size_t max_bytes = 1 << 20) const {
    std::vector<Uint256> ids;
    for (const MempoolEntryInfo& e : pool_.SelectForBlock(max_bytes)) ids.push_back(e.txid);
    return ids;
  }

  test::TempDir dir_;
  std::unique_ptr<ChainState> chain_;
  const PrivateKey key_ = KeyFromByte(0x11);
  Block genesis_;
  Mempool pool_;
};

// ---- Accepting.

TEST_F(MempoolTest, AcceptsSignedSpendAndRecordsFeeAndSize) {
  const Transaction tx = Pay(Funding(0), 5000);
  ExpectAccepted(tx);
  MempoolEntryInfo info;
  ASSERT_TRUE(pool_.GetEntry(tx.Txid(), &info));
  EXPECT_EQ(info.tx, tx);
  EXPECT_EQ(info.fee, 5000);
  EXPECT_EQ(info.size, SizeOf(tx));
  EXPECT_EQ(pool_.bytes(), SizeOf(tx));
  EXPECT_EQ(pool_.size(), 1u);
  EXPECT_EQ(pool_.Txids(), std::vector<Uint256>{tx.Txid()});
}

TEST_F(MempoolTest, AcceptsChainOfUnconfirmedTransactions) {
  const Transaction parent = Spend({Funding(0)}, {4 * kCoin, 5 * kCoin});
  const Transaction child = Pay(Output(parent, 1), 5000);
  ExpectAccepted(parent);
  ExpectAccepted(child);
  EXPECT_EQ(Selected(), (std::vector<Uint256>{parent.Txid(), child.Txid()}));
}

// ---- Each rejection reason.

TEST_F(MempoolTest, DetailsCountAncestorsAndDescendantsWithTheEntry) {
  const Transaction parent = Spend({Funding(0)}, {4 * kCoin, 5 * kCoin}, nullptr);
  const Transaction child = Pay(Output(parent, 1), 5000);
  const Transaction other = Pay(Funding(1), 7000);
  ExpectAccepted(parent);
  ExpectAccepted(child);
  ExpectAccepted(other);
  const Amount parent_fee = kCoinValue - 9 * kCoin;

  MempoolEntryDetail detail;
  ASSERT_TRUE(pool_.GetEntryDetail(parent.Txid(), &detail));
  EXPECT_EQ(detail.info.height, kMatureHeight - 1);
  EXPECT_GT(detail.info.time, 0);
  EXPECT_TRUE(detail.depends.empty());
  EXPECT_EQ(detail.spent_by, std::vector<Uint256>{child.Txid()});
  EXPECT_EQ(detail.ancestor_count, 1u);
  EXPECT_EQ(detail.descendant_count, 2u);
  EXPECT_EQ(detail.descendant_size, SizeOf(parent) + SizeOf(child));
  EXPECT_EQ(detail.descendant_fees, parent_fee + 5000);

  ASSERT_TRUE(pool_.GetEntryDetail(child.Txid(), &detail));
  EXPECT_EQ(detail.depends, std::vector<Uint256>{parent.Txid()});
  EXPECT_EQ(detail.ancestor_count, 2u);
  EXPECT_EQ(detail.ancestor_fees, parent_fee + 5000);
  EXPECT_EQ(detail.descendant_count, 1u);
  EXPECT_FALSE(pool_.GetEntryDetail(Uint256(), &detail));

  const std::vector<MempoolEntryDetail> all = pool_.Details();
  ASSERT_EQ(all.size(), 3u);  // arrival order
  EXPECT_EQ(all[0].info.txid, parent.Txid());
  EXPECT_EQ(all[2].info.txid, other.Txid());
  EXPECT_EQ(pool_.total_fee(), parent_fee + 5000 + 7000);
  EXPECT_GT(pool_.DynamicMemoryUsage(), pool_.bytes());

  Block block = MakeBlock(genesis_.Hash(), 1, {other});
  pool_.RemoveForBlock(block);
  EXPECT_EQ(pool_.total_fee(), parent_fee + 5000);
}

TEST_F(MempoolTest, RejectsContextFreeInvalid) {
  Transaction tx = Pay(Funding(0), 5000);
  tx.outputs.clear();
  const ValidationState state = Accept(tx);
  EXPECT_EQ(state.reason(), "bad-txns-vout-empty");
  EXPECT_EQ(state.result(), ValidationResult::kConsensus);
}

TEST_F(MempoolTest, RejectsCoinbase) {
  Transaction coinbase;
  coinbase.lock_height = 1;
  coinbase.outputs.push_back(Pays(kCoin));
  const ValidationState state = Accept(coinbase);
  EXPECT_EQ(state.reason(), "coinbase");
  EXPECT_EQ(pool_.size(), 0u);
}

// Consensus takes any version and any lock_height outside the coinbase (a
// second implementation's report: a version-7 transaction with lock_height
// 0xfffffff0 was relayed and mined). Relay now takes the versions the rules
// give a meaning and a lock_height no later than the spend height.
TEST_F(MempoolTest, RelayTakesKnownVersionsAndFinalLockHeightsOnly) {
  const auto signed_with = [&](uint32_t version, uint32_t lock_height) {
    Transaction tx = Pay(Funding(0), 5000);
    tx.version = version;
    tx.lock_height = lock_height;
    EXPECT_TRUE(SignInput(&tx, 0, Funding(0).second, key_).ok());
    return tx;
  };
  for (const uint32_t version : {0u, 5u, 7u, 0xffffffffu}) {
    const ValidationState state = Accept(signed_with(version, 0));
    EXPECT_EQ(state.reason(), "version") << version;
    EXPECT_EQ(state.result(), ValidationResult::kPolicy);
  }
  const ValidationState late = Accept(signed_with(1, kMatureHeight + 1));
  EXPECT_EQ(late.reason(), "non-final");
  EXPECT_EQ(late.result(), ValidationResult::kPremature);  // valid later
  EXPECT_EQ(late.debug(), std::to_string(kMatureHeight + 1) + " > " +
                              std::to_string(kMatureHeight));
  EXPECT_EQ(pool_.size(), 0u);
  ExpectAccepted(signed_with(kSlashTxVersion, kMatureHeight));
}

// A bond whose payout the worker key did not sign for this network
// (options.genesis_hash) is refused; signed, the same bond is accepted.
TEST_F(MempoolTest, RejectsBondWithoutTheWorkersPayoutSignature) {
  MempoolOptions options;
  options.genesis_hash = Uint256(std::array<uint8_t, 32>{7});
  Mempool pool(options);
  const PrivateKey worker = KeyFromByte(0x22);
  const Uint256 payout = KeyHash(key_.PublicKey());
  const auto bond = [&](const Uint256& signed_for) {
    Transaction tx;
    tx.inputs.push_back(TxIn{Funding(0).first, key_.PublicKey(), {}});
    tx.outputs = {TxOut{kCoinValue - 5000, OutputKind::kWorkerBond, Uint256(worker.PublicKey())},
                  TxOut{0, OutputKind::kWorkerPayout, payout,
                        worker.Sign(PayoutSigningHash(signed_for, worker.PublicKey(), payout))}};
    EXPECT_TRUE(SignInput(&tx, 0, Funding(0).second, key_).ok());
    return tx;
  };
  ValidationState state;
  EXPECT_FALSE(pool.AcceptTransaction(bond(Uint256()), *chain_, kMatureHeight, &state));
  EXPECT_EQ(state.ToString(), "bad-txns-payout-sig, vout 1");
  EXPECT_EQ(state.result(), ValidationResult::kConsensus);
  EXPECT_EQ(pool.size(), 0u);
  state = ValidationState();
  EXPECT_TRUE(pool.AcceptTransaction(bond(options.genesis_hash), *chain_, kMatureHeight, &state))
      << state.ToString();
}

TEST_F(MempoolTest, RejectsTransactionAlreadyInMempool) {
  const Transaction tx = Pay(Funding(0), 5000);
  ExpectAccepted(tx);
  const ValidationState state = Accept(tx);
  EXPECT_EQ(state.reason(), "txn-already-in-mempool");
  EXPECT_EQ(state.result(), ValidationResult::kConflict);
}

// ---- Replacement (BIP125's fee rules, full RBF).

TEST_F(MempoolTest, RejectsDoubleSpendWithoutHigherFeeRate) {
  const Transaction original = Pay(Funding(0), 5000);
  ExpectAccepted(original);
  // The same fee over more bytes: a lower fee rate.
  const Transaction wider =
      Spend({Funding(0)}, {kCoinValue / 2, kCoinValue - kCoinValue / 2 - 5000});
  const ValidationState state = Accept(wider);
  EXPECT_EQ(state.reason(), "insufficient fee");
  EXPECT_EQ(state.result(), ValidationResult::kConflict);
  EXPECT_NE(state.debug().find("new feerate"), std::string::npos) << state.debug();
  EXPECT_EQ(pool_.size(), 1u);
  EXPECT_TRUE(pool_.Contains(original.Txid()));
}

TEST_F(MempoolTest, ReplacementEvictsConflictAndDescendants) {
  const Transaction original = Pay(Funding(0), 5000);
  const Transaction child = Pay(Output(original, 0), 5000);
  const Transaction unrelated = Pay(Funding(1), 5000);
  for (const Transaction* tx : {&original, &child, &unrelated}) ExpectAccepted(*tx);
  const size_t size = SizeOf(original);  // every Pay has the same size

  // Fees equal to what it evicts leave nothing for its own bytes (rule 4).
  ValidationState state = Accept(Pay(Funding(0), 10'000));
  EXPECT_EQ(state.reason(), "insufficient fee");
  EXPECT_NE(state.debug().find("not enough additional fees to relay; 0 < " + std::to_string(size)),
            std::string::npos)
      << state.debug();
  // Testing does not evict.
  Amount fee = 0;
  const Transaction replacement = Pay(Funding(0), 10'000 + static_cast<Amount>(size));
  ASSERT_TRUE(pool_.TestAcceptTransaction(replacement, *chain_, kMatureHeight, &fee, &state))
      << state.ToString();
  EXPECT_EQ(pool_.size(), 3u);

  ExpectAccepted(replacement);
  EXPECT_FALSE(pool_.Contains(original.Txid()));
  EXPECT_FALSE(pool_.Contains(child.Txid()));
  EXPECT_TRUE(pool_.Contains(unrelated.Txid()));
  EXPECT_TRUE(pool_.Contains(replacement.Txid()));
  EXPECT_EQ(pool_.bytes(), 2 * size);
  EXPECT_EQ(pool_.total_fee(), 5000 + 10'000 + static_cast<Amount>(size));
  // The evicted child's coin is gone with it; the replacement's is spendable.
  EXPECT_EQ(Accept(Pay(Output(child, 0), 5000)).reason(), "bad-txns-inputs-missingorspent");
  ExpectAccepted(Pay(Output(replacement, 0), 5000));
}

TEST_F(MempoolTest, ReplacementMustPayTheEvictedFees) {
  // A cheap parent with a generous child: replacing the parent at a higher
  // rate than the parent's alone still has to pay for both (rule 3).
  const Transaction original = Pay(Funding(0), 1000);
  ExpectAccepted(original);
  ExpectAccepted(Pay(Output(original, 0), 50'000));
  const ValidationState state = Accept(Pay(Funding(0), 20'000));
  EXPECT_EQ(state.reason(), "insufficient fee");
  EXPECT_NE(state.debug().find("less fees than conflicting txs; 20000 < 51000"), std::string::npos)
      << state.debug();
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, ReplacementMayNotAddUnconfirmedInputs) {
  const Transaction unrelated = Pay(Funding(1), 5000);
  ExpectAccepted(unrelated);
  ExpectAccepted(Pay(Funding(0), 5000));
  const Transaction replacement =
      Spend({Funding(0), Output(unrelated, 0)}, {kCoinValue, kCoinValue / 2});
  const ValidationState state = Accept(replacement);
  EXPECT_EQ(state.reason(), "replacement-adds-unconfirmed");
  EXPECT_EQ(pool_.size(), 2u);
}

TEST_F(MempoolTest, ReplacementMayNotSpendWhatItEvicts) {
  const Transaction original = Spend({Funding(0)}, {kCoinValue / 2, kCoinValue / 2 - 5000});
  ExpectAccepted(original);
  const ValidationState state = Accept(Spend({Funding(0), Output(original, 1)}, {kCoinValue}));
  EXPECT_EQ(state.reason(), "bad-txns-spends-conflicting-tx");
  EXPECT_TRUE(pool_.Contains(original.Txid()));
}

TEST_F(MempoolTest, ReplacementEvictsAtMostAHundred) {
  std::vector<Transaction> chain{Pay(Funding(0), 5000)};
  ExpectAccepted(chain.back());
  while (chain.size() < kMaxReplacementEvictions + 1) {
    chain.push_back(Pay(Output(chain.back(), 0), 5000));
    ExpectAccepted(chain.back());
  }
  const ValidationState state = Accept(Pay(Funding(0), kCoin));
  EXPECT_EQ(state.reason(), "too many potential replacements");
  EXPECT_EQ(pool_.size(), kMaxReplacementEvictions + 1);
  // One fewer to evict, and the same replacement goes in.
  Mempool small;
  chain.pop_back();
  ValidationState s;
  for (const Transaction& tx : chain)
    ASSERT_TRUE(small.AcceptTransaction(tx, *chain_, kMatureHeight, &s));
  ASSERT_TRUE(small.AcceptTransaction(Pay(Funding(0), kCoin), *chain_, kMatureHeight, &s))
      << s.ToString();
  EXPECT_EQ(small.size(), 1u);
}

TEST_F(MempoolTest, RejectsMissingOrSpentInputs) {
  std::mt19937_64 rng(1);
  const Prevout unknown{OutPoint{test::RandomHash(rng), 0}, Pays(kCoin)};
  ValidationState state = Accept(Pay(unknown, 5000));
  EXPECT_EQ(state.reason(), "bad-txns-inputs-missingorspent");
  EXPECT_EQ(state.result(), ValidationResult::kMissingInputs);

  // An output index a mempool parent does not have.
  const Transaction parent = Pay(Funding(0), 5000);
  ExpectAccepted(parent);
  const Prevout beyond{OutPoint{parent.Txid(), 1}, Pays(kCoin)};
  state = Accept(Pay(beyond, 5000));
  EXPECT_EQ(state.reason(), "bad-txns-inputs-missingorspent");
}

TEST_F(MempoolTest, RejectsImmatureCoinbaseSpend) {
  const Transaction tx = Pay(Funding(0), 5000);
  const ValidationState state = Accept(tx, /*spend_height=*/kCoinbaseMaturity - 1);
  EXPECT_EQ(state.reason(), "bad-txns-premature-spend-of-coinbase");
  EXPECT_EQ(state.result(), ValidationResult::kPremature);
  EXPECT_TRUE(Accept(tx, /*spend_height=*/kCoinbaseMaturity).IsValid());
}

TEST_F(MempoolTest, RejectsOutputsAboveInputs) {
  const ValidationState state = Accept(Spend({Funding(0)}, {kCoinValue + 1}));
  EXPECT_EQ(state.reason(), "bad-txns-in-belowout");
  EXPECT_EQ(state.result(), ValidationResult::kConsensus);
}

TEST_F(MempoolTest, RejectsFeeBelowMinimumRelayRate) {
  // Sizes do not depend on values, so the minimum fee is known up front.
  const Amount min_fee =
      kDefaultMinRelayFeePerKb * static_cast<Amount>(SizeOf(Pay(Funding(0), 0))) / 1000;
  ASSERT_GT(min_fee, 0);
  ValidationState state = Accept(Pay(Funding(0), min_fee - 1));
  EXPECT_EQ(state.reason(), "min-relay-fee-not-met");
  EXPECT_EQ(state.result(), ValidationResult::kPolicy);
  EXPECT_TRUE(Accept(Pay(Funding(0), min_fee)).IsValid());
}

TEST_F(MempoolTest, RejectsBadSignatureAndWrongKey) {
  Transaction tx = Pay(Funding(0), 5000);
  tx.inputs[0].signature[10] ^= 1;
  ValidationState state = Accept(tx);
  EXPECT_EQ(state.reason(), "bad-txns-bad-sig");

  const PrivateKey other = KeyFromByte(0x22);
  state = Accept(Spend({Funding(1)}, {kCoinValue - 5000}, &other));
  EXPECT_EQ(state.reason(), "bad-txns-wrong-key");
  EXPECT_EQ(pool_.size(), 0u);
}

// ---- Block assembly.

TEST_F(MempoolTest, SelectForBlockOrdersByFeeRate) {
  const Transaction low = Pay(Funding(0), 1000);
  const Transaction high = Pay(Funding(1), 9000);
  const Transaction mid = Pay(Funding(2), 4000);
  // Larger, with a fee rate between `high`'s and `mid`'s.
  const Transaction big = Spend({Funding(3), Funding(4)}, {2 * kCoinValue - 8100 - 40});
  ExpectAccepted(low);
  ExpectAccepted(high);
  ExpectAccepted(mid);
  ExpectAccepted(big);
  ASSERT_GT(SizeOf(big), SizeOf(mid));
  EXPECT_EQ(Selected(), (std::vector<Uint256>{high.Txid(), big.Txid(), mid.Txid(), low.Txid()}));
}

TEST_F(MempoolTest, SelectForBlockPutsParentsBeforeChildren) {
  const Transaction parent = Pay(Funding(0), 1000);  // lowest rate
  const Transaction child = Pay(Output(parent, 0), 50000);
  const Transaction other = Pay(Funding(1), 3000);
  ExpectAccepted(parent);
  ExpectAccepted(child);
  ExpectAccepted(other);
  // No child-pays-for-parent: `other` outranks the parent, and the child
  // waits for its parent.
  EXPECT_EQ(Selected(), (std::vector<Uint256>{other.Txid(), parent.Txid(), child.Txid()}));
}

TEST_F(MempoolTest, SelectForBlockRespectsByteLimit) {
  const Transaction parent = Pay(Funding(0), 9000);
  const Transaction child = Pay(Output(parent, 0), 9000);
  const Transaction small_fee = Pay(Funding(1), 2000);
  ExpectAccepted(parent);
  ExpectAccepted(child);
  ExpectAccepted(small_fee);
  const size_t one = SizeOf(parent);
  EXPECT_EQ(Selected(one), std::vector<Uint256>{parent.Txid()});
  EXPECT_EQ(Selected(2 * one), (std::vector<Uint256>{parent.Txid(), child.Txid()}));
  EXPECT_TRUE(Selected(one - 1).empty());
}

// ---- Size cap.

TEST_F(MempoolTest, EvictsLowestFeeRateWithDescendantsUnderCap) {
  const Transaction a = Pay(Funding(0), 8000);
  const Transaction b = Pay(Funding(1), 1000);  // the lowest rate
  const Transaction b_child = Pay(Output(b, 0), 9000);
  const Transaction d = Pay(Funding(2), 5000);
  MempoolOptions options;
  options.max_bytes = SizeOf(a) + SizeOf(b) + SizeOf(b_child);  // exactly three
  Mempool pool(options);
  ValidationState state;
  ASSERT_TRUE(pool.AcceptTransaction(a, *chain_, kMatureHeight, &state)) << state.ToString();
  ASSERT_TRUE(pool.AcceptTransaction(b, *chain_, kMatureHeight, &state)) << state.ToString();
  ASSERT_TRUE(pool.AcceptTransaction(b_child, *chain_, kMatureHeight, &state));
  EXPECT_EQ(pool.size(), 3u);

  // A fourth pushes the pool over the cap: b goes, and b_child with it.
  ASSERT_TRUE(pool.AcceptTransaction(d, *chain_, kMatureHeight, &state)) << state.ToString();
  EXPECT_TRUE(pool.Contains(a.Txid()));
  EXPECT_TRUE(pool.Contains(d.Txid()));
  EXPECT_FALSE(pool.Contains(b.Txid()));
  EXPECT_FALSE(pool.Contains(b_child.Txid()));
  EXPECT_EQ(pool.bytes(), SizeOf(a) + SizeOf(d));

  // Fill up again; a newcomer with the lowest rate is the one evicted.
  ASSERT_TRUE(pool.AcceptTransaction(Pay(Funding(3), 6000), *chain_, kMatureHeight, &state));
  const Transaction cheap = Pay(Funding(4), 900);
  EXPECT_FALSE(pool.AcceptTransaction(cheap, *chain_, kMatureHeight, &state));
  EXPECT_EQ(state.reason(), "mempool-full");
  EXPECT_EQ(pool.size(), 3u);
  EXPECT_FALSE(pool.Contains(cheap.Txid()));
}

// ---- Following the chain.

TEST_F(MempoolTest, RemoveForBlockDropsConfirmedAndConflicting) {
  const Transaction confirmed = Pay(Funding(0), 5000);
  const Transaction confirmed_child = Pay(Output(confirmed, 0), 5000);
  const Transaction loser = Pay(Funding(1), 5000);
  const Transaction loser_child = Pay(Output(loser, 0), 5000);
  const Transaction unrelated = Pay(Funding(2), 5000);
  for (const Transaction* tx : {&confirmed, &confirmed_child, &loser, &loser_child, &unrelated}) {
    ExpectAccepted(*tx);
  }
  const Transaction winner = Pay(Funding(1), 7000);  // conflicts with `loser`
  const Block block = MakeBlock(genesis_.Hash(), 1, {confirmed, winner});
  ASSERT_TRUE(chain_->ConnectTip(block).ok());
  pool_.RemoveForBlock(block);

  EXPECT_FALSE(pool_.Contains(confirmed.Txid()));
  EXPECT_FALSE(pool_.Contains(loser.Txid()));
  EXPECT_FALSE(pool_.Contains(loser_child.Txid()));
  EXPECT_TRUE(pool_.Contains(unrelated.Txid()));
  EXPECT_TRUE(pool_.Contains(confirmed_child.Txid()));
  EXPECT_EQ(pool_.bytes(), SizeOf(confirmed_child) + SizeOf(unrelated));
  // The child now spends a confirmed coin and is minable on its own.
  const std::vector<Uint256> selected = Selected();
  EXPECT_NE(std::find(selected.begin(), selected.end(), confirmed_child.Txid()), selected.end());
  // And the confirmed coin it spends is still guarded by the pool's spender
  // index: a double spend at a lower fee rate is no replacement.
  const Transaction double_spend =
      Spend({Output(confirmed, 0)}, {kCoin, confirmed.outputs[0].value - kCoin - 5000});
  EXPECT_EQ(Accept(double_spend).reason(), "insufficient fee");
}

TEST_F(MempoolTest, ReorgReaddsDisconnectedTransactions) {
  const Transaction confirmed = Spend({Funding(0)}, {4 * kCoin, 5 * kCoin});
  const Block block = MakeBlock(genesis_.Hash(), 1, {confirmed});
  ASSERT_TRUE(chain_->ConnectTip(block).ok());
  const Transaction child = Pay(Output(confirmed, 1), 5000);
  ExpectAccepted(child);
  EXPECT_EQ(Selected(), std::vector<Uint256>{child.Txid()});

  Block disconnected;
  ASSERT_TRUE(chain_->DisconnectTip(&disconnected).ok());
  EXPECT_EQ(pool_.UpdateForReorg({disconnected}, *chain_, kMatureHeight), 1u);
  EXPECT_TRUE(pool_.Contains(confirmed.Txid()));
  // The child is linked to its re-added parent again: the parent comes first.
  EXPECT_EQ(Selected(), (std::vector<Uint256>{confirmed.Txid(), child.Txid()}));
  MempoolEntryInfo info;
  ASSERT_TRUE(pool_.GetEntry(confirmed.Txid(), &info));
  EXPECT_EQ(info.fee, kCoinValue - 9 * kCoin);
}

TEST_F(MempoolTest, ReorgDropsTransactionsTheNewBranchInvalidates) {
  const Transaction old_spend = Pay(Funding(0), 5000);
  const Block old_block = MakeBlock(genesis_.Hash(), 1, {old_spend});
  ASSERT_TRUE(chain_->ConnectTip(old_block).ok());
  const Transaction child = Pay(Output(old_spend, 0), 5000);
  const Transaction survivor = Pay(Funding(1), 5000);
  ExpectAccepted(child);
  ExpectAccepted(survivor);

  // The new branch spends the same coin differently.
  Block disconnected;
  ASSERT_TRUE(chain_->DisconnectTip(&disconnected).ok());
  const Block new_block =
      MakeBlock(genesis_.Hash(), 1, {Pay(Funding(0), 7000), Pay(Funding(5), 7000)});
  ASSERT_TRUE(chain_->ConnectTip(new_block).ok());
  pool_.RemoveForBlock(new_block);
  EXPECT_EQ(pool_.UpdateForReorg({disconnected}, *chain_, kMatureHeight), 0u);

  EXPECT_FALSE(pool_.Contains(old_spend.Txid()));
  EXPECT_FALSE(pool_.Contains(child.Txid()));
  EXPECT_TRUE(pool_.Contains(survivor.Txid()));
  EXPECT_EQ(pool_.size(), 1u);
}

TEST_F(MempoolTest, ReorgRemovesSpendsOfCoinbaseThatBecameImmature) {
  // A coinbase at height 1, spent while mature; after a reorg to a shorter
  // view (spend height lower) the spend is premature and must leave.
  const Block block = MakeBlock(genesis_.Hash(), 1, {});
  ASSERT_TRUE(chain_->ConnectTip(block).ok());
  const Transaction spend = Pay(Output(block.txs[0], 0), 5000);
  ExpectAccepted(spend);
  pool_.UpdateForReorg({}, *chain_, /*spend_height=*/kCoinbaseMaturity);
  EXPECT_FALSE(pool_.Contains(spend.Txid()));
}

TEST_F(MempoolTest, ChannelRefundWaitsForItsTimeoutAndLeavesIfTheChainShrinks) {
  // A channel funded in block 1 from genesis output 0, refundable from height 50.
  const PrivateKey holder = KeyFromByte(0x22);
  Channel channel;
  channel.capacity = kCoinValue - 5000;
  channel.terms = {key_.PublicKey(), holder.PublicKey(), 50};
  channel.close_fee = 5000;
  Transaction funding = Pay(Funding(0), 5000);
  funding.outputs[0] = channel.FundingOutput();
  ASSERT_TRUE(SignInput(&funding, 0, Funding(0).second, key_).ok());
  ASSERT_TRUE(chain_->ConnectTip(MakeBlock(genesis_.Hash(), 1, {funding})).ok());
  channel.funding = OutPoint{funding.Txid(), 0};
  Transaction refund;
  ASSERT_TRUE(MakeRefund(channel, 5000, &refund).ok());
  refund.inputs[0].signature = key_.Sign(refund.Sighash(0, channel.FundingOutput()));

  const ValidationState early = Accept(refund, /*spend_height=*/49);
  EXPECT_EQ(early.result(), ValidationResult::kPremature);
  EXPECT_EQ(early.reason(), "bad-txns-channel-refund-premature");
  ExpectAccepted(refund);  // at kMatureHeight
  pool_.UpdateForReorg({}, *chain_, /*spend_height=*/49);
  EXPECT_FALSE(pool_.Contains(refund.Txid()));
}

}  // namespace
}  // namespace cc
