// Slashing and unbonding at the transaction level: the evidence encoding and
// its context-free rules (chain/evidence.h), the slashing transaction's rules
// and the unbonding delay (chain/tx_check.h), and the mempool's handling of
// slashing transactions. Each reject reason is asserted by name with a
// transaction that passes once that one fault is removed. The re-execution
// of wrong work needs the engine: tests/validation/slash_test.cpp.

#include "chain/evidence.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "chain/coins.h"
#include "chain/key.h"
#include "chain/mempool.h"
#include "chain/tx_check.h"
#include "chain/tx_sign.h"
#include "tests/chain/primitives_samples.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

using test::MapCoins;
using test::SampleHash;

constexpr uint32_t kDelay = 10;

BlockHeader SignedHeader(const PrivateKey& key, uint8_t seed) {
  BlockHeader h = test::SampleHeader();
  h.tx_root = SampleHash(seed);
  h.producer = key.PublicKey();
  h.signature = key.Sign(h.SigningHash());
  return h;
}

Uint256 Lock(const PrivateKey& key) { return Uint256(key.PublicKey()); }

// A bond or unbonding output of `worker`'s key owned by `owner`'s.
TxOut Bonded(OutputKind kind, Amount value, const PrivateKey& worker, const PrivateKey& owner) {
  return TxOut{.value = value,
               .kind = kind,
               .lock = Lock(worker),
               .owner = KeyHash(owner.PublicKey())};
}

class SlashTest : public ::testing::Test {
 protected:
  SlashTest()
      : offender_(PrivateKey::Generate()),
        reporter_(PrivateKey::Generate()),
        owner_(PrivateKey::Generate()) {
    bond_ = {SampleHash(1), 0};
    unbonding_ = {SampleHash(2), 1};
    coins_.Add(bond_, Bonded(OutputKind::kWorkerBond, 10 * kCoin, offender_, owner_));
    coins_.Add(unbonding_, Bonded(OutputKind::kUnbonding, 4 * kCoin, offender_, owner_));
  }

  Evidence Equivocation() const {
    return DoubleProductionEvidence(SignedHeader(offender_, 7), SignedHeader(offender_, 8));
  }

  // Forfeits both of the offender's outputs and pays the reporter 6 coins
  // of the 7 it may.
  Transaction Slash(const Evidence& evidence) const {
    Transaction tx;
    tx.version = kSlashTxVersion;
    tx.inputs.resize(2);
    tx.inputs[0].prevout = bond_;
    tx.inputs[1].prevout = unbonding_;
    tx.outputs = {TxOut{6 * kCoin, OutputKind::kPayToKeyHash, KeyHash(reporter_.PublicKey())}};
    tx.evidence = Serialize(evidence);
    return tx;
  }
  Transaction Slash() const { return Slash(Equivocation()); }

  // "OK" or "<reason>, <debug>" of every consensus check of `tx` in a block
  // at `height`; *fee gets CheckTxInputs' fee.
  std::string Check(const Transaction& tx, uint32_t height = 100, Amount* fee = nullptr) const {
    ValidationState state;
    std::vector<TxOut> spent;
    Amount f = 0;
    const bool ok = CheckTransaction(tx, &state) &&
                    CheckTxInputs(tx, coins_, height, kDelay, &spent, &f, &state) &&
                    CheckInputSignatures(tx, spent, &state);
    EXPECT_EQ(ok, state.IsValid());
    if (fee != nullptr) *fee = f;
    return ok ? "OK" : state.reason();
  }

  std::string Decode(const Evidence& evidence) const {
    ValidationState state;
    Evidence out;
    return DecodeEvidence(Serialize(evidence), &out, &state) ? "OK" : state.reason();
  }

  PrivateKey offender_;
  PrivateKey reporter_;
  PrivateKey owner_;  //!< the wallet key that owns the offender's bonds
  OutPoint bond_;
  OutPoint unbonding_;
  MapCoins coins_;
};

TEST_F(SlashTest, EvidenceRoundTripsAndNamesItsOffence) {
  const Evidence equivocation = Equivocation();
  WorkRecord record = test::SampleWorkRecord();
  record.worker = offender_.PublicKey();
  record.signature = offender_.Sign(record.SigningHash());
  const Evidence wrong = WrongWorkEvidence(record);
  for (const Evidence& ev : {equivocation, wrong}) {
    Evidence back;
    ASSERT_TRUE(Deserialize(Serialize(ev), &back).ok());
    EXPECT_EQ(back, ev);
    EXPECT_EQ(ev.Offender(), offender_.PublicKey());
  }
  // kind, then only the fields of that kind.
  EXPECT_EQ(Serialize(equivocation).size(), 1 + 2 * Serialize(equivocation.first).size());
  EXPECT_EQ(Serialize(wrong).size(), 1 + Serialize(record).size());
  std::vector<uint8_t> bad = Serialize(wrong);
  bad[0] = 4;
  Evidence out;
  EXPECT_EQ(Deserialize(bad, &out).ToString(), "Corruption: bad-evidence-kind");

  // One offence, one id: a third header for the same parent is the same
  // equivocation; another unit is another offence.
  const Evidence other = DoubleProductionEvidence(SignedHeader(offender_, 9), equivocation.first);
  EXPECT_EQ(other.OffenceId(), equivocation.OffenceId());
  EXPECT_NE(wrong.OffenceId(), equivocation.OffenceId());
  WorkRecord next = record;
  next.unit.lane += 1;
  EXPECT_NE(WrongWorkEvidence(next).OffenceId(), wrong.OffenceId());
}

TEST_F(SlashTest, SlashTransactionEncodingKeepsEvidenceInTheTxid) {
  const Transaction tx = Slash();
  Transaction back;
  ASSERT_TRUE(Deserialize(Serialize(tx), &back).ok());
  EXPECT_EQ(back, tx);
  EXPECT_TRUE(back.IsSlash());
  Transaction other = tx;
  other.evidence = Serialize(DoubleProductionEvidence(SignedHeader(offender_, 7),
                                                      SignedHeader(offender_, 9)));
  EXPECT_NE(other.Txid(), tx.Txid());
  // Version 3 and below end before the evidence: their bytes are unchanged.
  Transaction v3 = tx;
  v3.version = kChannelTxVersion;
  v3.evidence.clear();
  Transaction v3back;
  ASSERT_TRUE(Deserialize(Serialize(v3), &v3back).ok());
  ASSERT_GE(tx.evidence.size(), 0xfdu);  // a 3-byte CompactSize
  EXPECT_EQ(Serialize(v3).size(), Serialize(tx).size() - tx.evidence.size() - 3);
  EXPECT_EQ(v3back, v3);
}

TEST_F(SlashTest, DoubleProductionRules) {
  EXPECT_EQ(Decode(Equivocation()), "OK");
  Evidence ev = Equivocation();

  ev.second = ev.first;
  EXPECT_EQ(Decode(ev), "bad-evidence-same");

  ev = Equivocation();
  std::swap(ev.first, ev.second);
  EXPECT_EQ(Decode(ev), "bad-evidence-order");

  // Another parent, or another height: two slots, no equivocation.
  for (int field = 0; field < 2; ++field) {
    BlockHeader a = SignedHeader(offender_, 7);
    BlockHeader b = SignedHeader(offender_, 8);
    if (field == 0) b.prev = SampleHash(99);
    if (field == 1) b.height += 1;
    b.signature = offender_.Sign(b.SigningHash());
    EXPECT_EQ(Decode(DoubleProductionEvidence(a, b)), "bad-evidence-slot") << field;
  }

  const PrivateKey other = PrivateKey::Generate();
  EXPECT_EQ(Decode(DoubleProductionEvidence(SignedHeader(offender_, 7), SignedHeader(other, 8))),
            "bad-evidence-producer");

  BlockHeader forged = SignedHeader(offender_, 8);
  forged.signature = other.Sign(forged.SigningHash());
  EXPECT_EQ(Decode(DoubleProductionEvidence(SignedHeader(offender_, 7), forged)),
            "bad-evidence-sig");

  std::vector<uint8_t> bytes = Serialize(Equivocation());
  bytes.push_back(0);
  ValidationState state;
  Evidence out;
  EXPECT_FALSE(DecodeEvidence(bytes, &out, &state));
  EXPECT_EQ(state.reason(), "bad-evidence-encoding");
}

TEST_F(SlashTest, WrongWorkNeedsTheWorkersSignature) {
  WorkRecord record = test::SampleWorkRecord();
  record.worker = offender_.PublicKey();
  record.signature = offender_.Sign(record.SigningHash());
  EXPECT_EQ(Decode(WrongWorkEvidence(record)), "OK");
  record.loss = 1.0f;  // not what the worker signed
  EXPECT_EQ(Decode(WrongWorkEvidence(record)), "bad-evidence-sig");
}

// A holder's wrong answer under offender_'s bond: two steps (positions 0–1,
// then 2) and the answer to the second.
WrongInference SignedWrongInference(const PrivateKey& worker, const PrivateKey& holder) {
  WrongInference ev;
  ev.salt = SampleHash(40);
  ev.steps = {{0, 2, {'a', 'b'}}, {2, 1, {'c'}}};
  ev.output = {1, 2, 3, 4};
  ev.prior_output_hash = ChainedOutputHash(ev.salt, Uint256{}, std::vector<uint8_t>{9, 9});
  ev.sections.resize(1);
  ev.sections[0].weights = SampleHash(41);
  Receipt& r = ev.receipt;
  r.request_id = SampleHash(42);
  r.state_root = SampleHash(43);
  r.section_begin = 0;
  r.section_end = 1;
  for (const InferenceStep& step : ev.steps)
    r.input_hash = ChainedInputHash(ev.salt, r.input_hash, step.position, step.input);
  r.output_hash = ChainedOutputHash(ev.salt, ev.prior_output_hash, ev.output);
  r.tokens = 3;
  r.amount = 30;
  r.holder = holder.PublicKey();
  r.signature = holder.Sign(r.SigningHash());
  ev.bond.worker = worker.PublicKey();
  ev.bond.signature = worker.Sign(HolderBondSigningHash(holder.PublicKey()));
  return ev;
}

TEST_F(SlashTest, WrongInferenceNeedsBothSignaturesAndTheReceiptsHashes) {
  const PrivateKey holder = PrivateKey::Generate();
  const WrongInference good = SignedWrongInference(offender_, holder);
  const Evidence ev = WrongInferenceEvidence(good);
  EXPECT_EQ(Decode(ev), "OK");
  Evidence back;
  ASSERT_TRUE(Deserialize(Serialize(ev), &back).ok());
  EXPECT_EQ(back, ev);
  EXPECT_EQ(Serialize(ev).size(), 1 + Serialize(good).size());
  // The worker vouching for the payee answers for it, one offence per hop of a request.
  EXPECT_EQ(ev.Offender(), offender_.PublicKey());
  WrongInference other_request = good;
  other_request.receipt.request_id = SampleHash(44);
  EXPECT_NE(WrongInferenceEvidence(other_request).OffenceId(), ev.OffenceId());

  auto reason = [&](const std::function<void(WrongInference*)>& change, bool resign = true) {
    WrongInference bad = good;
    change(&bad);
    if (resign) bad.receipt.signature = holder.Sign(bad.receipt.SigningHash());
    return Decode(WrongInferenceEvidence(bad));
  };
  // A transcript or answer other than the one the receipt hashes.
  EXPECT_EQ(reason([](WrongInference* e) { e->output[0] ^= 1; }), "bad-evidence-hash");
  EXPECT_EQ(reason([](WrongInference* e) { e->steps[1].input = {'d'}; }), "bad-evidence-hash");
  EXPECT_EQ(reason([](WrongInference* e) { std::swap(e->steps[0], e->steps[1]); }),
            "bad-evidence-hash");
  EXPECT_EQ(reason([](WrongInference* e) { e->salt = SampleHash(45); }), "bad-evidence-hash");
  // The positions are committed: a session restarted at position 0 cannot
  // be passed off as one continued (nor the other way round).
  EXPECT_EQ(reason([](WrongInference* e) { e->steps[1].position = 0; }), "bad-evidence-hash");
  EXPECT_EQ(reason([](WrongInference* e) { e->prior_output_hash = {}; }), "bad-evidence-hash");
  // Rows that are not the receipt's tokens, an empty step, sections not its range.
  EXPECT_EQ(reason([](WrongInference* e) { e->steps[1].rows = 2; }), "bad-evidence-transcript");
  EXPECT_EQ(reason([](WrongInference* e) {
              e->steps.push_back({3, 0, {}});
            }),
            "bad-evidence-transcript");
  EXPECT_EQ(reason([](WrongInference* e) { e->steps.clear(); }), "bad-evidence-transcript");
  EXPECT_EQ(reason([](WrongInference* e) { e->sections.resize(2); }), "bad-evidence-transcript");
  EXPECT_EQ(reason([](WrongInference* e) { e->receipt.section_end = 0; }),
            "bad-evidence-transcript");
  // A receipt its holder did not sign; a bond for another payee or by another key.
  EXPECT_EQ(reason([](WrongInference* e) { e->receipt.amount = 1; }, /*resign=*/false),
            "bad-evidence-sig");
  const PrivateKey stranger = PrivateKey::Generate();
  EXPECT_EQ(reason([&](WrongInference* e) {
              e->bond.signature = offender_.Sign(HolderBondSigningHash(stranger.PublicKey()));
            }),
            "bad-evidence-sig");
  EXPECT_EQ(reason([&](WrongInference* e) { e->bond.worker = stranger.PublicKey(); }),
            "bad-evidence-sig");
}

TEST_F(SlashTest, SlashTransactionRules) {
  Amount fee = -1;
  EXPECT_EQ(Check(Slash(), 100, &fee), "OK");
  EXPECT_EQ(fee, kCoin);  // half of 14 coins, less the 6 paid; the other 7 burn

  Transaction tx = Slash();
  tx.version = kChannelTxVersion;
  EXPECT_EQ(Check(tx), "bad-slash-version");

  tx = Slash();
  tx.inputs.clear();  // a coinbase
  EXPECT_EQ(Check(tx), "bad-slash-coinbase");

  tx = Slash();
  tx.channel_spends = {ChannelSpend{0, reporter_.PublicKey(), 5, ChannelClose::kRefund, {}}};
  EXPECT_EQ(Check(tx), "bad-slash-channel");

  tx = Slash();
  tx.inputs[1].pubkey = offender_.PublicKey();
  EXPECT_EQ(Check(tx), "bad-slash-input-sig");
  tx = Slash();
  tx.inputs[0].signature[5] = 1;
  EXPECT_EQ(Check(tx), "bad-slash-input-sig");

  tx = Slash();
  tx.evidence.back() ^= 1;  // a signature of the evidence
  EXPECT_EQ(Check(tx), "bad-evidence-sig");

  // Only the offender's bonds: not its coins, not another key's bond.
  const OutPoint coin{SampleHash(3), 0};
  coins_.Add(coin, TxOut{kCoin, OutputKind::kPayToKeyHash, KeyHash(offender_.PublicKey())});
  const OutPoint others{SampleHash(4), 0};
  coins_.Add(others, TxOut{kCoin, OutputKind::kWorkerBond, Lock(reporter_)});
  for (const OutPoint& op : {coin, others}) {
    tx = Slash();
    tx.inputs[1].prevout = op;
    tx.outputs[0].value = 5 * kCoin;
    EXPECT_EQ(Check(tx), "bad-slash-input");
  }

  tx = Slash();
  tx.outputs[0].value = 7 * kCoin + 1;
  EXPECT_EQ(Check(tx), "bad-slash-reward");
  tx.outputs[0].value = 7 * kCoin;
  EXPECT_EQ(Check(tx, 100, &fee), "OK");
  EXPECT_EQ(fee, 0);

  // A coinbase's bond (a free registration, worth 0) may be forfeited at
  // once; spent by its owner it would wait for maturity.
  const OutPoint young{SampleHash(5), 3};
  coins_.Add(young, Bonded(OutputKind::kWorkerBond, 0, offender_, owner_), 95, /*coinbase=*/true);
  tx = Slash();
  tx.inputs[1].prevout = young;
  tx.outputs[0].value = 5 * kCoin;
  EXPECT_EQ(Check(tx, 96), "OK");
}

// A bond spent by its owner must stay locked as kUnbonding (or a bond) of
// the same worker key, which its owner spends only after the delay.
TEST_F(SlashTest, UnbondingDelay) {
  auto withdraw = [&](OutputKind kind, Amount value) {
    Transaction tx;
    tx.inputs.resize(1);
    tx.inputs[0].prevout = bond_;
    tx.inputs[0].pubkey = owner_.PublicKey();
    tx.outputs = {kind == OutputKind::kPayToKeyHash
                      ? TxOut{value, kind, KeyHash(owner_.PublicKey())}
                      : Bonded(kind, value, offender_, owner_)};
    if (kind == OutputKind::kWorkerBond)  // a bond names its payout
      tx.outputs.push_back(TxOut{0, OutputKind::kWorkerPayout, KeyHash(owner_.PublicKey())});
    EXPECT_TRUE(SignInput(&tx, 0, Bonded(OutputKind::kWorkerBond, 10 * kCoin, offender_, owner_),
                          owner_)
                    .ok());
    return tx;
  };
  EXPECT_EQ(Check(withdraw(OutputKind::kPayToKeyHash, 10 * kCoin - 1000)),
            "bad-txns-unbonding-missing");
  EXPECT_EQ(Check(withdraw(OutputKind::kUnbonding, 10 * kCoin - 1000)),
            "bad-txns-unbonding-missing");  // the fee would leave the lock too
  EXPECT_EQ(Check(withdraw(OutputKind::kUnbonding, 10 * kCoin)), "OK");
  EXPECT_EQ(Check(withdraw(OutputKind::kWorkerBond, 10 * kCoin)), "OK");  // re-bonding

  // The unbonding output, created at height 10: spendable from 10 + kDelay.
  const TxOut unbonding = Bonded(OutputKind::kUnbonding, 4 * kCoin, offender_, owner_);
  auto release = [&](const PrivateKey& key) {
    Transaction tx;
    tx.inputs.resize(1);
    tx.inputs[0].prevout = unbonding_;
    tx.inputs[0].pubkey = key.PublicKey();
    tx.outputs = {TxOut{4 * kCoin - 1000, OutputKind::kPayToKeyHash, KeyHash(key.PublicKey())}};
    tx.inputs[0].signature = key.Sign(tx.Sighash(0, unbonding));
    return tx;
  };
  ValidationState state;
  std::vector<TxOut> spent;
  Amount fee = 0;
  EXPECT_FALSE(
      CheckTxInputs(release(offender_), coins_, 10 + kDelay - 1, kDelay, &spent, &fee, &state));
  EXPECT_EQ(state.reason(), "bad-txns-unbonding-premature");
  EXPECT_EQ(state.result(), ValidationResult::kPremature);
  EXPECT_EQ(Check(release(owner_), 10 + kDelay), "OK");
  EXPECT_EQ(Check(release(reporter_), 10 + kDelay), "bad-txns-wrong-key");
  // The worker's own (hot, signing) key spends neither (doc/consensus.md 2.1).
  EXPECT_EQ(Check(release(offender_), 10 + kDelay), "bad-txns-wrong-key");
  Transaction by_worker = withdraw(OutputKind::kUnbonding, 10 * kCoin);
  by_worker.inputs[0].pubkey = offender_.PublicKey();
  by_worker.inputs[0].signature = offender_.Sign(
      by_worker.Sighash(0, Bonded(OutputKind::kWorkerBond, 10 * kCoin, offender_, owner_)));
  EXPECT_EQ(Check(by_worker), "bad-txns-wrong-key");
  // A slashing transaction takes it before the delay: that is what it is for.
  EXPECT_EQ(Check(Slash(), 11), "OK");
}

TEST_F(SlashTest, MempoolTakesSlashingTransactionsOnlyThroughTheChecker) {
  ValidationState state;
  Mempool without;
  EXPECT_FALSE(without.AcceptTransaction(Slash(), coins_, 100, &state));
  EXPECT_EQ(state.reason(), "slash-unchecked");

  MempoolOptions options;
  options.unbonding_delay = kDelay;
  bool verdict = false;
  options.check_evidence = [&](const Transaction&, ValidationState* s) {
    return verdict || s->Invalid(ValidationResult::kConsensus, "bad-evidence-work-correct");
  };
  Mempool mempool(options);
  state = ValidationState();
  EXPECT_FALSE(mempool.AcceptTransaction(Slash(), coins_, 100, &state));
  EXPECT_EQ(state.reason(), "bad-evidence-work-correct");
  verdict = true;
  // Paying the whole share leaves no fee: no relay fee is asked of it.
  Transaction tx = Slash();
  tx.outputs[0].value = 7 * kCoin;
  state = ValidationState();
  EXPECT_TRUE(mempool.AcceptTransaction(tx, coins_, 100, &state)) << state.ToString();
  MempoolEntryInfo info;
  ASSERT_TRUE(mempool.GetEntry(tx.Txid(), &info));
  EXPECT_EQ(info.fee, 0);
  // A reorganisation does not bring one back unchecked.
  Block block;
  block.txs = {Transaction{}, tx};
  ASSERT_EQ(mempool.UpdateForReorg({}, coins_, 100), 0u);
  mempool.RemoveForBlock(block);
  EXPECT_EQ(mempool.UpdateForReorg({block}, coins_, 100), 0u);
  EXPECT_FALSE(mempool.Contains(tx.Txid()));

  // An unbonding spend that a shorter chain makes premature again leaves.
  const TxOut unbonding = Bonded(OutputKind::kUnbonding, 4 * kCoin, offender_, owner_);
  Transaction release;
  release.inputs.resize(1);
  release.inputs[0].prevout = unbonding_;
  release.inputs[0].pubkey = owner_.PublicKey();
  release.outputs = {
      TxOut{4 * kCoin - 1000, OutputKind::kPayToKeyHash, KeyHash(owner_.PublicKey())}};
  ASSERT_TRUE(SignInput(&release, 0, unbonding, owner_).ok());
  state = ValidationState();
  EXPECT_FALSE(mempool.AcceptTransaction(release, coins_, 10 + kDelay - 1, &state));
  EXPECT_EQ(state.reason(), "bad-txns-unbonding-premature");
  state = ValidationState();
  ASSERT_TRUE(mempool.AcceptTransaction(release, coins_, 10 + kDelay, &state)) << state.ToString();
  mempool.UpdateForReorg({}, coins_, 10 + kDelay - 1);
  EXPECT_FALSE(mempool.Contains(release.Txid()));
}

}  // namespace
}  // namespace cc
