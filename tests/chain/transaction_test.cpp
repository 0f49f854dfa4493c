// Transactions: ids, sighashes, signing (tx_sign.h), and the checks of
// tx_check.h, each reject reason asserted by name.

#include "chain/transaction.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/key.h"
#include "chain/tx_check.h"
#include "chain/tx_sign.h"
#include "chain/validation.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

using test::SampleHash;

class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest() : alice_(PrivateKey::Generate()), bob_(PrivateKey::Generate()) {
    // Alice's two coins: a payment and her worker bond.
    spent_ = {TxOut{7 * kCoin, OutputKind::kPayToKeyHash, KeyHash(alice_.PublicKey())},
              TxOut{.value = 3 * kCoin,
                    .kind = OutputKind::kWorkerBond,
                    .lock = Uint256(alice_.PublicKey()),
                    .owner = KeyHash(alice_.PublicKey())}};
    tx_.version = 1;
    tx_.inputs = {TxIn{{SampleHash(1), 0}, alice_.PublicKey(), {}},
                  TxIn{{SampleHash(2), 5}, alice_.PublicKey(), {}}};
    tx_.outputs = {TxOut{9 * kCoin, OutputKind::kPayToKeyHash, KeyHash(bob_.PublicKey())}};
  }

  /// Signs every input of tx_ with `key`; expects success.
  void SignAll(const PrivateKey& key) {
    for (uint32_t i = 0; i < tx_.inputs.size(); ++i) {
      ASSERT_TRUE(SignInput(&tx_, i, spent_[i], key).ok()) << "input " << i;
    }
  }

  /// "OK" or the reject reason of CheckTransaction(tx_).
  std::string Check() const { return Check(tx_); }
  static std::string Check(const Transaction& tx) {
    ValidationState state;
    const bool ok = CheckTransaction(tx, &state);
    EXPECT_EQ(ok, state.IsValid());
    return ok ? "OK" : state.reason();
  }

  /// "OK" or "<reason>, <debug>" of CheckInputSignatures(tx_, spent_).
  std::string CheckSigs() const {
    ValidationState state;
    const bool ok = CheckInputSignatures(tx_, spent_, &state);
    EXPECT_EQ(ok, state.IsValid());
    return ok ? "OK" : state.ToString();
  }

  static Uint256 ZeroSignaturesAndHash(Transaction tx) {
    for (TxIn& in : tx.inputs) in.signature = {};
    return SerializeHash(tx);
  }

  PrivateKey alice_;
  PrivateKey bob_;
  std::vector<TxOut> spent_;
  Transaction tx_;
};

// ---------------------------------------------------------------------------
// Ids and sighashes.

TEST_F(TransactionTest, TxidIsHashOfEncodingWithSignaturesZeroed) {
  tx_.inputs[0].signature = test::SampleBytes<64>(9);
  tx_.inputs[1].signature = test::SampleBytes<64>(10);
  EXPECT_EQ(tx_.Txid(), ZeroSignaturesAndHash(tx_));
  const Transaction sample = test::SampleTransaction();
  EXPECT_EQ(sample.Txid(), ZeroSignaturesAndHash(sample));
}

TEST_F(TransactionTest, TxidDoesNotDependOnSignatures) {
  const Uint256 before = tx_.Txid();
  SignAll(alice_);
  EXPECT_EQ(tx_.Txid(), before);
  tx_.inputs[1].signature[7] ^= 1;
  EXPECT_EQ(tx_.Txid(), before);
}

TEST_F(TransactionTest, TxidCommitsToEverythingElse) {
  const Uint256 base = tx_.Txid();
  const auto changed = [&](auto mutate) {
    Transaction t = tx_;
    mutate(t);
    return t.Txid() != base;
  };
  EXPECT_TRUE(changed([](Transaction& t) { t.version = 2; }));
  EXPECT_TRUE(changed([](Transaction& t) { t.inputs[0].prevout.index = 1; }));
  EXPECT_TRUE(changed([](Transaction& t) { t.inputs[1].prevout.txid = SampleHash(3); }));
  EXPECT_TRUE(changed([](Transaction& t) { t.inputs[0].pubkey[0] ^= 1; }));
  EXPECT_TRUE(changed([](Transaction& t) { t.outputs[0].value += 1; }));
  EXPECT_TRUE(changed([](Transaction& t) { t.outputs[0].kind = OutputKind::kWorkerBond; }));
  EXPECT_TRUE(changed([](Transaction& t) { t.outputs[0].lock = SampleHash(4); }));
  EXPECT_TRUE(changed([](Transaction& t) { t.lock_height = 1; }));
  EXPECT_TRUE(changed([](Transaction& t) { std::swap(t.inputs[0], t.inputs[1]); }));
}

TEST_F(TransactionTest, WtxidCommitsToSignatures) {
  SignAll(alice_);
  EXPECT_EQ(tx_.Wtxid(), Hash256(Serialize(tx_)));
  EXPECT_NE(tx_.Wtxid(), tx_.Txid());
  const Uint256 before = tx_.Wtxid();
  tx_.inputs[1].signature[7] ^= 1;
  EXPECT_NE(tx_.Wtxid(), before);
}

TEST_F(TransactionTest, CoinbaseWtxidEqualsTxid) {
  Transaction coinbase;
  coinbase.outputs = {test::SampleTxOut()};
  coinbase.lock_height = 12;
  EXPECT_TRUE(coinbase.IsCoinbase());
  EXPECT_EQ(coinbase.Wtxid(), coinbase.Txid());
}

TEST_F(TransactionTest, SighashIsTaggedHashOfTxidIndexAndSpentOutput) {
  std::vector<uint8_t> msg;
  Writer w(&msg);
  w(tx_.Txid(), uint32_t{1}, spent_[1]);
  EXPECT_EQ(tx_.Sighash(1, spent_[1]), TaggedHash(tags::kSighash, msg));
  EXPECT_EQ(SighashFromTxid(tx_.Txid(), 1, spent_[1]), tx_.Sighash(1, spent_[1]));
}

TEST_F(TransactionTest, SighashSeparatesInputsAndSpentOutputs) {
  const Uint256 base = tx_.Sighash(0, spent_[0]);
  EXPECT_NE(tx_.Sighash(1, spent_[0]), base);
  TxOut other = spent_[0];
  other.value += 1;
  EXPECT_NE(tx_.Sighash(0, other), base);
  other = spent_[0];
  other.kind = OutputKind::kWorkerBond;
  EXPECT_NE(tx_.Sighash(0, other), base);
}

TEST_F(TransactionTest, ValueOutSumsOutputs) {
  tx_.outputs.push_back(TxOut{kCoin / 2, OutputKind::kPayToKeyHash, SampleHash(5)});
  EXPECT_EQ(tx_.ValueOut(), 9 * kCoin + kCoin / 2);
}

TEST_F(TransactionTest, LocksFollowTheOutputKind) {
  EXPECT_TRUE(IsSpendableBy(spent_[0], alice_.PublicKey()));
  EXPECT_TRUE(IsSpendableBy(spent_[1], alice_.PublicKey()));
  EXPECT_FALSE(IsSpendableBy(spent_[0], bob_.PublicKey()));
  EXPECT_FALSE(IsSpendableBy(spent_[1], bob_.PublicKey()));
  // A bond locks to the key itself, a payment to its hash: not interchangeable.
  TxOut bond_as_payment = spent_[1];
  bond_as_payment.kind = OutputKind::kPayToKeyHash;
  EXPECT_FALSE(IsSpendableBy(bond_as_payment, alice_.PublicKey()));
}

// ---------------------------------------------------------------------------
// Signing and signature checks.

TEST_F(TransactionTest, SignedInputsVerify) {
  SignAll(alice_);
  EXPECT_EQ(CheckSigs(), "OK");
}

TEST_F(TransactionTest, UnsignedInputFails) {
  ASSERT_TRUE(SignInput(&tx_, 0, spent_[0], alice_).ok());
  EXPECT_EQ(CheckSigs(), "bad-txns-bad-sig, vin 1");
}

TEST_F(TransactionTest, InputWithAnotherKeyFails) {
  SignAll(alice_);
  tx_.inputs[0].pubkey = bob_.PublicKey();
  EXPECT_EQ(CheckSigs(), "bad-txns-wrong-key, vin 0");
}

TEST_F(TransactionTest, BondSpentByAnotherKeyFails) {
  SignAll(alice_);
  spent_[1].owner = KeyHash(bob_.PublicKey());
  EXPECT_EQ(CheckSigs(), "bad-txns-wrong-key, vin 1");
}

TEST_F(TransactionTest, TamperedOutputBreaksSignatures) {
  SignAll(alice_);
  tx_.outputs[0].lock = KeyHash(alice_.PublicKey());
  EXPECT_EQ(CheckSigs(), "bad-txns-bad-sig, vin 0");
}

TEST_F(TransactionTest, WrongSpentValueBreaksSignature) {
  SignAll(alice_);
  spent_[1].value += 1;  // a signer is told the value it spends
  EXPECT_EQ(CheckSigs(), "bad-txns-bad-sig, vin 1");
}

TEST_F(TransactionTest, SignatureForOneInputDoesNotFitAnother) {
  SignAll(alice_);
  spent_[1] = spent_[0];
  tx_.inputs[1].signature = tx_.inputs[0].signature;
  EXPECT_EQ(CheckSigs(), "bad-txns-bad-sig, vin 1");
}

TEST_F(TransactionTest, SpentOutputsMustMatchInputsOneToOne) {
  SignAll(alice_);
  spent_.pop_back();
  ValidationState state;
  EXPECT_FALSE(CheckInputSignatures(tx_, spent_, &state));
  EXPECT_TRUE(state.IsError());
  EXPECT_EQ(state.reason(), "spent-outputs-mismatch");
}

TEST_F(TransactionTest, CoinbaseHasNoSignaturesToCheck) {
  Transaction coinbase;
  coinbase.outputs = {test::SampleTxOut()};
  ValidationState state;
  EXPECT_TRUE(CheckInputSignatures(coinbase, {}, &state));
}

TEST_F(TransactionTest, SignInputRefusesBadRequests) {
  const Transaction before = tx_;
  EXPECT_EQ(SignInput(&tx_, 2, spent_[0], alice_).ToString(),
            "InvalidArgument: input index out of range");
  EXPECT_EQ(SignInput(&tx_, 0, spent_[0], bob_).ToString(),
            "InvalidArgument: input pubkey is not the key's");
  TxOut bobs = spent_[0];
  bobs.lock = KeyHash(bob_.PublicKey());
  EXPECT_EQ(SignInput(&tx_, 0, bobs, alice_).ToString(),
            "InvalidArgument: spent output is not locked to the key");
  EXPECT_EQ(tx_, before);
}

// ---------------------------------------------------------------------------
// CheckTransaction: one reason per test.

TEST_F(TransactionTest, WellFormedTransactionPasses) { EXPECT_EQ(Check(), "OK"); }

TEST_F(TransactionTest, CoinbasePasses) {
  Transaction coinbase;
  coinbase.outputs = {test::SampleTxOut()};
  EXPECT_EQ(Check(coinbase), "OK");
}

TEST_F(TransactionTest, NoOutputsIsRejected) {
  tx_.outputs.clear();
  EXPECT_EQ(Check(), "bad-txns-vout-empty");
}

TEST_F(TransactionTest, NegativeOutputIsRejected) {
  tx_.outputs[0].value = -1;
  EXPECT_EQ(Check(), "bad-txns-vout-negative");
}

TEST_F(TransactionTest, OutputAboveMaxMoneyIsRejected) {
  tx_.outputs[0].value = kMaxMoney + 1;
  EXPECT_EQ(Check(), "bad-txns-vout-toolarge");
  tx_.outputs[0].value = kMaxMoney;
  EXPECT_EQ(Check(), "OK");
}

TEST_F(TransactionTest, OutputTotalAboveMaxMoneyIsRejected) {
  tx_.outputs = {TxOut{kMaxMoney, OutputKind::kPayToKeyHash, SampleHash(1)},
                 TxOut{1, OutputKind::kPayToKeyHash, SampleHash(2)}};
  EXPECT_EQ(Check(), "bad-txns-txouttotal-toolarge");
}

TEST_F(TransactionTest, OutputTotalThatWouldOverflowIsRejected) {
  // 93 * kMaxMoney overflows int64; the running check stops at the second.
  tx_.outputs.assign(93, TxOut{kMaxMoney, OutputKind::kPayToKeyHash, SampleHash(1)});
  ValidationState state;
  EXPECT_FALSE(CheckTransaction(tx_, &state));
  EXPECT_EQ(state.ToString(), "bad-txns-txouttotal-toolarge, vout 1");
}

TEST_F(TransactionTest, BondToANonKeyIsRejected) {
  tx_.outputs[0].kind = OutputKind::kWorkerBond;
  tx_.outputs.push_back(TxOut{0, OutputKind::kWorkerPayout, SampleHash(3)});
  tx_.outputs[0].lock = *Uint256::FromHex(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30");  // > field size
  EXPECT_EQ(Check(), "bad-txns-bond-key");
  tx_.outputs[0].lock = Uint256(bob_.PublicKey());
  EXPECT_EQ(Check(), "OK");
}

TEST_F(TransactionTest, EveryBondNamesItsPayoutInTheNextOutput) {
  const TxOut bond{kCoin, OutputKind::kWorkerBond, Uint256(bob_.PublicKey())};
  const TxOut payout{0, OutputKind::kWorkerPayout, KeyHash(alice_.PublicKey())};
  const TxOut pay = tx_.outputs[0];
  tx_.outputs = {pay, bond, payout, bond, payout};
  EXPECT_EQ(Check(), "OK");
  tx_.outputs = {pay, bond};  // no payout
  EXPECT_EQ(Check(), "bad-txns-payout-place");
  tx_.outputs = {bond, pay, payout};  // not right after the bond
  EXPECT_EQ(Check(), "bad-txns-payout-place");
  tx_.outputs = {pay, payout};  // no bond
  EXPECT_EQ(Check(), "bad-txns-payout-place");
  tx_.outputs = {bond, payout, payout};  // one payout per bond
  EXPECT_EQ(Check(), "bad-txns-payout-place");
  TxOut valued = payout;
  valued.value = 1;  // it could never be spent: the coins would burn
  tx_.outputs = {bond, valued};
  EXPECT_EQ(Check(), "bad-txns-payout-value");
}

// Whoever pays a bond to a key cannot name that worker's payout: the key
// signs it, for one network (doc/consensus.md §2.0).
TEST_F(TransactionTest, PayoutMustBeSignedByTheBondedKeyForThisNetwork) {
  const Uint256 genesis = SampleHash(7);
  const auto check = [&](const Transaction& tx, const Uint256& network) {
    ValidationState state;
    const bool ok = CheckPayoutSignatures(tx, network, &state);
    EXPECT_EQ(ok, state.IsValid());
    return ok ? "OK" : state.ToString();
  };
  const Uint256 payout = KeyHash(alice_.PublicKey());
  const TxOut bond{kCoin, OutputKind::kWorkerBond, Uint256(bob_.PublicKey())};
  TxOut signed_payout{0, OutputKind::kWorkerPayout, payout,
                      bob_.Sign(PayoutSigningHash(genesis, bob_.PublicKey(), payout))};
  const TxOut pay = tx_.outputs[0];
  tx_.outputs = {pay, bond, signed_payout};
  EXPECT_EQ(Check(), "OK");
  EXPECT_EQ(check(tx_, genesis), "OK");
  EXPECT_EQ(check(tx_, SampleHash(8)), "bad-txns-payout-sig, vout 2");  // another network

  TxOut unsigned_payout = signed_payout;
  unsigned_payout.payout_signature = {};
  tx_.outputs = {pay, bond, unsigned_payout};
  EXPECT_EQ(check(tx_, genesis), "bad-txns-payout-sig, vout 2");
  TxOut by_payer = signed_payout;  // the payer signs for the worker
  by_payer.payout_signature = alice_.Sign(PayoutSigningHash(genesis, bob_.PublicKey(), payout));
  tx_.outputs = {pay, bond, by_payer};
  EXPECT_EQ(check(tx_, genesis), "bad-txns-payout-sig, vout 2");
  TxOut redirected = signed_payout;  // bob's signature, somebody else's payout
  redirected.lock = KeyHash(bob_.PublicKey());
  tx_.outputs = {pay, bond, redirected};
  EXPECT_EQ(check(tx_, genesis), "bad-txns-payout-sig, vout 2");
  // Every bond's payout is checked, not only the first.
  tx_.outputs = {bond, signed_payout, bond, unsigned_payout};
  EXPECT_EQ(check(tx_, genesis), "bad-txns-payout-sig, vout 3");
  // A free registration in a coinbase too.
  Transaction coinbase;
  coinbase.outputs = {pay, TxOut{0, OutputKind::kWorkerBond, Uint256(bob_.PublicKey())},
                      unsigned_payout};
  EXPECT_EQ(check(coinbase, genesis), "bad-txns-payout-sig, vout 2");
  coinbase.outputs[2] = signed_payout;
  EXPECT_EQ(check(coinbase, genesis), "OK");
}

TEST_F(TransactionTest, PayoutSignatureIsOnTheWireOnlyForPayouts) {
  TxOut payout{0, OutputKind::kWorkerPayout, SampleHash(1), test::SampleBytes<64>(2)};
  const std::vector<uint8_t> bytes = Serialize(payout);
  EXPECT_EQ(bytes.size(), 8u + 1 + 32 + 64);
  TxOut decoded;
  ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
  EXPECT_EQ(decoded, payout);
  const TxOut pay{5, OutputKind::kPayToKeyHash, SampleHash(1)};
  EXPECT_EQ(Serialize(pay).size(), 8u + 1 + 32);
  // A payout cut before its signature does not decode.
  EXPECT_FALSE(
      Deserialize(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1), &decoded).ok());
  // The signature is in the txid: only the worker key could change it.
  tx_.outputs = {TxOut{kCoin, OutputKind::kWorkerBond, Uint256(bob_.PublicKey())}, payout};
  const Uint256 txid = tx_.Txid();
  tx_.outputs[1].payout_signature = test::SampleBytes<64>(3);
  EXPECT_NE(tx_.Txid(), txid);
}

// A bond (and the unbonding output it becomes) is spent by its owner's key,
// not by the worker key in its lock: a stolen signing key cannot take it.
TEST_F(TransactionTest, BondsAreSpentByTheirOwnerNotTheWorkerKey) {
  for (OutputKind kind : {OutputKind::kWorkerBond, OutputKind::kUnbonding}) {
    const TxOut bond{.value = kCoin,
                     .kind = kind,
                     .lock = Uint256(bob_.PublicKey()),
                     .owner = KeyHash(alice_.PublicKey())};
    EXPECT_TRUE(IsSpendableBy(bond, alice_.PublicKey()));
    EXPECT_FALSE(IsSpendableBy(bond, bob_.PublicKey()));
  }
  spent_[1].lock = Uint256(bob_.PublicKey());  // bob's worker bond, owned by alice
  SignAll(alice_);
  EXPECT_EQ(CheckSigs(), "OK");
  // Bob, the worker, signs for his own bond: refused by the signer and by
  // the check (input 0 signed again, since the pubkeys are in the txid).
  tx_.inputs[1].pubkey = bob_.PublicKey();
  ASSERT_TRUE(SignInput(&tx_, 0, spent_[0], alice_).ok());
  EXPECT_FALSE(SignInput(&tx_, 1, spent_[1], bob_).ok());
  tx_.inputs[1].signature = bob_.Sign(tx_.Sighash(1, spent_[1]));
  EXPECT_EQ(CheckSigs(), "bad-txns-wrong-key, vin 1");
}

TEST_F(TransactionTest, OwnerIsOnTheWireOnlyForBondsAndUnbonding) {
  for (OutputKind kind : {OutputKind::kWorkerBond, OutputKind::kUnbonding}) {
    const TxOut bond{
        .value = kCoin, .kind = kind, .lock = SampleHash(1), .owner = SampleHash(2)};
    const std::vector<uint8_t> bytes = Serialize(bond);
    EXPECT_EQ(bytes.size(), 8u + 1 + 32 + 32);
    TxOut decoded;
    ASSERT_TRUE(Deserialize(bytes, &decoded).ok());
    EXPECT_EQ(decoded, bond);
    EXPECT_FALSE(
        Deserialize(std::vector<uint8_t>(bytes.begin(), bytes.end() - 1), &decoded).ok());
  }
}

TEST_F(TransactionTest, PayoutIsNeverSpendable) {
  const TxOut payout{0, OutputKind::kWorkerPayout, KeyHash(alice_.PublicKey())};
  EXPECT_FALSE(IsSpendableBy(payout, alice_.PublicKey()));
  EXPECT_FALSE(EntersUtxoSet(payout));
  EXPECT_TRUE(EntersUtxoSet(TxOut{0, OutputKind::kCommitment, SampleHash(1)}));
  EXPECT_EQ(OutputKindName(OutputKind::kWorkerPayout), "worker_payout");
}

TEST_F(TransactionTest, DuplicateInputsAreRejected) {
  tx_.inputs[1].prevout = tx_.inputs[0].prevout;
  EXPECT_EQ(Check(), "bad-txns-inputs-duplicate");
}

TEST_F(TransactionTest, SameTxidOtherIndexIsNotADuplicate) {
  tx_.inputs[1].prevout = {tx_.inputs[0].prevout.txid, tx_.inputs[0].prevout.index + 1};
  EXPECT_EQ(Check(), "OK");
}

TEST_F(TransactionTest, NullPrevoutIsRejected) {
  tx_.inputs[1].prevout.txid = Uint256();
  EXPECT_EQ(Check(), "bad-txns-prevout-null");
}

TEST_F(TransactionTest, OversizeIsRejectedAtOneByteOverTheLimit) {
  // Fill with outputs and inputs until the encoding is exactly kMaxTxSize:
  // n inputs of 132 bytes and m outputs of 41, plus 8 bytes of version and
  // lock_height and two 3-byte counts (both counts are >= 253).
  constexpr size_t kFixed = 8 + 3 + 3;
  size_t inputs = 0, outputs = 253;
  while ((kMaxTxSize - kFixed - 41 * outputs) % 132 != 0) ++outputs;
  inputs = (kMaxTxSize - kFixed - 41 * outputs) / 132;
  tx_.outputs.assign(outputs, TxOut{1, OutputKind::kPayToKeyHash, SampleHash(1)});
  tx_.inputs.resize(inputs);
  for (uint32_t i = 0; i < inputs; ++i) tx_.inputs[i].prevout = {SampleHash(1), i};
  ASSERT_EQ(Serialize(tx_).size(), kMaxTxSize);
  EXPECT_EQ(Check(), "OK");
  tx_.outputs.pop_back();
  tx_.inputs.push_back(TxIn{{SampleHash(2), 0}, {}, {}});  // +132 - 41 bytes
  EXPECT_EQ(Check(), "bad-txns-oversize");
}

// ---------------------------------------------------------------------------
// ValidationState itself.

TEST(ValidationStateTest, StartsValid) {
  const ValidationState state;
  EXPECT_TRUE(state.IsValid());
  EXPECT_FALSE(state.IsInvalid());
  EXPECT_FALSE(state.IsError());
  EXPECT_EQ(state.ToString(), "Valid");
}

TEST(ValidationStateTest, InvalidReturnsFalseAndKeepsReason) {
  ValidationState state;
  EXPECT_FALSE(state.Invalid(ValidationResult::kPolicy, "min-fee-not-met", "12 < 100"));
  EXPECT_TRUE(state.IsInvalid());
  EXPECT_EQ(state.result(), ValidationResult::kPolicy);
  EXPECT_EQ(state.reason(), "min-fee-not-met");
  EXPECT_EQ(state.debug(), "12 < 100");
  EXPECT_EQ(state.ToString(), "min-fee-not-met, 12 < 100");
}

TEST(ValidationStateTest, ErrorIsOurFaultNotInvalidData) {
  ValidationState state;
  EXPECT_FALSE(state.Error("leveldb write failed"));
  EXPECT_TRUE(state.IsError());
  EXPECT_FALSE(state.IsInvalid());
  EXPECT_EQ(state.result(), ValidationResult::kInternal);
  EXPECT_EQ(state.ToString(), "leveldb write failed");
}

}  // namespace
}  // namespace cc
