// Payment channels: the kChannel and kCommitment consensus rules of
// tx_check.h, each reject reason asserted by name, and the off-chain updates
// of channel.h.

#include "chain/channel.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "chain/coins.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/tx_check.h"
#include "chain/tx_sign.h"
#include "tests/chain/primitives_samples.h"
#include "tests/util/test_util.h"

namespace cc {
namespace {

using test::MapCoins;
using test::SampleHash;

constexpr uint32_t kTimeout = 500;

class ChannelTest : public ::testing::Test {
 protected:
  ChannelTest() : client_(PrivateKey::Generate()), holder_(PrivateKey::Generate()) {
    channel_.funding = {SampleHash(1), 2};
    channel_.capacity = 10 * kCoin;
    channel_.terms = {client_.PublicKey(), holder_.PublicKey(), kTimeout};
    channel_.close_fee = 1000;
    coins_.Add(channel_.funding, channel_.FundingOutput());
    root_ = MerkleRoot(std::vector<Uint256>{SampleHash(7), SampleHash(8)});
  }

  /// The client's update paying `paid`, signed with `key`.
  ChannelUpdate Update(Amount paid, const PrivateKey& key) const {
    ChannelUpdate update{channel_.funding, paid, root_, {}};
    Uint256 sighash;
    EXPECT_TRUE(UpdateSighash(channel_, paid, root_, &sighash).ok());
    update.client_signature = key.Sign(sighash);
    return update;
  }
  ChannelUpdate Update(Amount paid) const { return Update(paid, client_); }

  /// The settlement of Update(paid), signed by the holder.
  Transaction Settlement(Amount paid) const {
    Transaction tx;
    EXPECT_TRUE(MakeSettlement(channel_, Update(paid), &tx).ok());
    tx.channel_spends[0].holder_signature = holder_.Sign(tx.Sighash(0, channel_.FundingOutput()));
    return tx;
  }

  /// The refund, signed by the client.
  Transaction Refund() const {
    Transaction tx;
    EXPECT_TRUE(MakeRefund(channel_, 500, &tx).ok());
    tx.inputs[0].signature = client_.Sign(tx.Sighash(0, channel_.FundingOutput()));
    return tx;
  }

  /// "OK" or "<reason>, <debug>" of every consensus check of `tx` in a
  /// block at `height`: CheckTransaction, CheckTxInputs, CheckInputSignatures.
  std::string Check(const Transaction& tx, uint32_t height = 100) const {
    ValidationState state;
    std::vector<TxOut> spent;
    Amount fee = 0;
    const bool ok = CheckTransaction(tx, &state) &&
                    CheckTxInputs(tx, coins_, height, 0, &spent, &fee, &state) &&
                    CheckInputSignatures(tx, spent, &state);
    EXPECT_EQ(ok, state.IsValid());
    return ok ? "OK" : state.ToString();
  }

  /// "OK" or the reason of CheckUpdate.
  std::string CheckUpd(const ChannelUpdate& update, Amount last_paid = 0) const {
    ValidationState state;
    return CheckUpdate(channel_, update, last_paid, &state) ? "OK" : state.reason();
  }

  PrivateKey client_;
  PrivateKey holder_;
  Channel channel_;
  MapCoins coins_;
  Uint256 root_;
};

// ---------------------------------------------------------------------------
// Encoding and ids.

TEST_F(ChannelTest, ChannelTransactionRoundTrips) {
  const Transaction tx = Settlement(3 * kCoin);
  Transaction decoded;
  ASSERT_TRUE(Deserialize(Serialize(tx), &decoded).ok());
  EXPECT_EQ(decoded, tx);
}

TEST_F(ChannelTest, RefundCarriesNoHolderSignatureOnTheWire) {
  const Transaction refund = Refund();
  Transaction cooperative = refund;
  cooperative.channel_spends[0].close = ChannelClose::kCooperative;
  EXPECT_EQ(Serialize(cooperative).size(), Serialize(refund).size() + 64);
}

TEST_F(ChannelTest, EarlierVersionsCarryNoChannelSpends) {
  Transaction tx = Settlement(kCoin);
  tx.version = kChannelTxVersion - 1;
  Transaction decoded;
  ASSERT_TRUE(Deserialize(Serialize(tx), &decoded).ok());
  EXPECT_TRUE(decoded.channel_spends.empty());
}

TEST_F(ChannelTest, TxidIgnoresTheHolderSignatureAndWtxidCommitsToIt) {
  Transaction tx = Settlement(kCoin);
  const Uint256 txid = tx.Txid();
  const Uint256 wtxid = tx.Wtxid();
  tx.channel_spends[0].holder_signature[5] ^= 1;
  EXPECT_EQ(tx.Txid(), txid);
  EXPECT_NE(tx.Wtxid(), wtxid);
  tx.channel_spends[0].timeout_height += 1;
  EXPECT_NE(tx.Txid(), txid);
}

TEST_F(ChannelTest, LockCommitsToEveryTerm) {
  const Uint256 lock = ChannelLock(channel_.terms);
  ChannelTerms t = channel_.terms;
  t.timeout_height += 1;
  EXPECT_NE(ChannelLock(t), lock);
  t = channel_.terms;
  std::swap(t.client, t.holder);
  EXPECT_NE(ChannelLock(t), lock);
}

// ---------------------------------------------------------------------------
// Consensus: closing.

TEST_F(ChannelTest, CooperativeCloseIsValidAtAnyHeight) {
  EXPECT_EQ(Check(Settlement(3 * kCoin), 1), "OK");
  EXPECT_EQ(Check(Settlement(3 * kCoin), kTimeout + 10), "OK");
}

TEST_F(ChannelTest, SettlementPaysTheHolderExactlyAndCommitsTheRoot) {
  const Transaction tx = Settlement(3 * kCoin);
  ASSERT_EQ(tx.outputs.size(), 3u);
  EXPECT_EQ(tx.outputs[0],
            (TxOut{3 * kCoin, OutputKind::kPayToKeyHash, KeyHash(holder_.PublicKey())}));
  EXPECT_EQ(tx.outputs[1], (TxOut{7 * kCoin - channel_.close_fee, OutputKind::kPayToKeyHash,
                                  KeyHash(client_.PublicKey())}));
  EXPECT_EQ(tx.outputs[2], (TxOut{0, OutputKind::kCommitment, root_}));
  EXPECT_EQ(channel_.capacity - tx.ValueOut(), channel_.close_fee);
}

TEST_F(ChannelTest, SettlementOmitsEmptyOutputs) {
  EXPECT_EQ(Settlement(channel_.MaxPaid()).outputs.size(), 2u);  // no client change
  Transaction none;
  ASSERT_TRUE(MakeSettlement(channel_, 0, root_, &none).ok());
  EXPECT_EQ(none.outputs.size(), 2u);  // no holder output
}

TEST_F(ChannelTest, RefundBeforeTheTimeoutIsPremature) {
  EXPECT_EQ(Check(Refund(), kTimeout - 1), "bad-txns-channel-refund-premature, vin 0 timeout 500");
  ValidationState state;
  std::vector<TxOut> spent;
  Amount fee = 0;
  EXPECT_FALSE(CheckTxInputs(Refund(), coins_, kTimeout - 1, 0, &spent, &fee, &state));
  EXPECT_EQ(state.result(), ValidationResult::kPremature);
}

TEST_F(ChannelTest, RefundFromTheTimeoutIsValid) {
  EXPECT_EQ(Check(Refund(), kTimeout), "OK");
  EXPECT_EQ(Check(Refund(), kTimeout + 1000), "OK");
}

TEST_F(ChannelTest, RefundWithAnEarlierTimeoutBreaksTheTerms) {
  Transaction tx = Refund();
  tx.channel_spends[0].timeout_height = 1;
  tx.inputs[0].signature = client_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx, 2), "bad-txns-channel-terms, vin 0");
}

TEST_F(ChannelTest, HolderCannotRefund) {
  Transaction tx = Refund();
  tx.inputs[0].pubkey = holder_.PublicKey();
  tx.inputs[0].signature = holder_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx, kTimeout), "bad-txns-channel-terms, vin 0");
}

TEST_F(ChannelTest, WrongClientKeyBreaksTheTerms) {
  const PrivateKey other = PrivateKey::Generate();
  Transaction tx = Settlement(kCoin);
  tx.inputs[0].pubkey = other.PublicKey();
  tx.inputs[0].signature = other.Sign(tx.Sighash(0, channel_.FundingOutput()));
  tx.channel_spends[0].holder_signature = holder_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx), "bad-txns-channel-terms, vin 0");
}

TEST_F(ChannelTest, WrongHolderKeyBreaksTheTerms) {
  const PrivateKey other = PrivateKey::Generate();
  Transaction tx = Settlement(kCoin);
  tx.channel_spends[0].holder = other.PublicKey();
  tx.inputs[0].signature = client_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  tx.channel_spends[0].holder_signature = other.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx), "bad-txns-channel-terms, vin 0");
}

TEST_F(ChannelTest, MissingHolderSignatureIsRejected) {
  Transaction tx = Settlement(kCoin);
  tx.channel_spends[0].holder_signature = {};
  EXPECT_EQ(Check(tx), "bad-txns-channel-holder-sig, vin 0");
}

TEST_F(ChannelTest, ForgedHolderSignatureIsRejected) {
  Transaction tx = Settlement(kCoin);
  // The client signs the holder's half too.
  tx.channel_spends[0].holder_signature = client_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx), "bad-txns-channel-holder-sig, vin 0");
}

TEST_F(ChannelTest, ForgedClientSignatureIsRejected) {
  Transaction tx = Settlement(kCoin);
  tx.inputs[0].signature = holder_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx), "bad-txns-bad-sig, vin 0");
}

TEST_F(ChannelTest, HolderCannotRaiseThePaymentAfterTheClientSigned) {
  Transaction tx = Settlement(kCoin);
  tx.outputs[0].value += kCoin;
  tx.outputs[1].value -= kCoin;
  tx.channel_spends[0].holder_signature = holder_.Sign(tx.Sighash(0, channel_.FundingOutput()));
  EXPECT_EQ(Check(tx), "bad-txns-bad-sig, vin 0");
}

TEST_F(ChannelTest, ChannelInputWithoutChannelSpendIsRejected) {
  Transaction tx = Settlement(kCoin);
  tx.channel_spends.clear();
  EXPECT_EQ(Check(tx), "bad-txns-channel-spend-missing, vin 0");
  tx.version = 1;  // an old-style spend cannot reveal the terms at all
  EXPECT_EQ(Check(tx), "bad-txns-channel-spend-missing, vin 0");
}

TEST_F(ChannelTest, ChannelSpendOnAnotherKindIsRejected) {
  const OutPoint coin{SampleHash(3), 0};
  const TxOut out{kCoin, OutputKind::kPayToKeyHash, KeyHash(client_.PublicKey())};
  coins_.Add(coin, out);
  Transaction tx;
  tx.version = kChannelTxVersion;
  tx.inputs = {TxIn{coin, client_.PublicKey(), {}}};
  tx.outputs = {TxOut{kCoin / 2, OutputKind::kPayToKeyHash, KeyHash(holder_.PublicKey())}};
  tx.channel_spends = {ChannelSpend{0, holder_.PublicKey(), kTimeout, ChannelClose::kRefund, {}}};
  tx.inputs[0].signature = client_.Sign(tx.Sighash(0, out));
  EXPECT_EQ(Check(tx, kTimeout), "bad-txns-channel-spend-unused, vin 0");
  tx.channel_spends.clear();
  tx.inputs[0].signature = client_.Sign(tx.Sighash(0, out));
  EXPECT_EQ(Check(tx, kTimeout), "OK");  // the same spend without it
}

TEST_F(ChannelTest, ChannelSpendsNeedTheChannelVersion) {
  Transaction tx = Settlement(kCoin);
  tx.version = kChannelTxVersion - 1;
  ValidationState state;
  EXPECT_FALSE(CheckTransaction(tx, &state));
  EXPECT_EQ(state.reason(), "bad-txns-channel-version");
}

TEST_F(ChannelTest, ChannelSpendsMustBeSortedAndInRange) {
  Transaction tx = Settlement(kCoin);
  tx.channel_spends[0].input = 1;
  ValidationState state;
  EXPECT_FALSE(CheckTransaction(tx, &state));
  EXPECT_EQ(state.reason(), "bad-txns-channel-spend-order");

  tx = Settlement(kCoin);
  tx.channel_spends.push_back(tx.channel_spends[0]);  // two for one input
  state = ValidationState();
  EXPECT_FALSE(CheckTransaction(tx, &state));
  EXPECT_EQ(state.reason(), "bad-txns-channel-spend-order");
}

TEST_F(ChannelTest, ChannelOutputAboveMaxMoneyIsRejected) {
  Transaction tx = Settlement(kCoin);
  tx.outputs.push_back(TxOut{kMaxMoney + 1, OutputKind::kChannel, ChannelLock(channel_.terms)});
  ValidationState state;
  EXPECT_FALSE(CheckTransaction(tx, &state));
  EXPECT_EQ(state.reason(), "bad-txns-vout-toolarge");
}

TEST_F(ChannelTest, ChannelOutputIsNotSpendableAsAKey) {
  EXPECT_FALSE(IsSpendableBy(channel_.FundingOutput(), client_.PublicKey()));
  EXPECT_FALSE(IsSpendableBy(channel_.FundingOutput(), holder_.PublicKey()));
  Transaction tx = Settlement(kCoin);
  EXPECT_FALSE(SignInput(&tx, 0, channel_.FundingOutput(), client_).ok());
}

// ---------------------------------------------------------------------------
// Consensus: the receipts commitment.

TEST_F(ChannelTest, CommitmentWithValueIsRejected) {
  Transaction tx = Settlement(kCoin);
  tx.outputs.back().value = 1;
  ValidationState state;
  EXPECT_FALSE(CheckTransaction(tx, &state));
  EXPECT_EQ(state.ToString(), "bad-txns-commitment-value, vout 2");
}

TEST_F(ChannelTest, CommitmentIsNeverSpendable) {
  const Transaction settlement = Settlement(kCoin);
  const OutPoint commitment{settlement.Txid(), 2};
  coins_.Add(commitment, settlement.outputs[2]);
  Transaction tx;
  tx.version = 1;
  tx.inputs = {TxIn{commitment, client_.PublicKey(), {}}};
  tx.outputs = {TxOut{0, OutputKind::kPayToKeyHash, KeyHash(client_.PublicKey())}};
  tx.inputs[0].signature = client_.Sign(tx.Sighash(0, settlement.outputs[2]));
  EXPECT_EQ(Check(tx), "bad-txns-commitment-spend, vin 0");
}

// ---------------------------------------------------------------------------
// Off-chain updates.

TEST_F(ChannelTest, IncreasingUpdatesAreAccepted) {
  EXPECT_EQ(CheckUpd(Update(1), 0), "OK");
  EXPECT_EQ(CheckUpd(Update(kCoin), 1), "OK");
  EXPECT_EQ(CheckUpd(Update(channel_.MaxPaid()), kCoin), "OK");
}

TEST_F(ChannelTest, ReplayedOrOlderUpdateIsRejected) {
  EXPECT_EQ(CheckUpd(Update(kCoin), kCoin), "channel-update-not-increasing");
  EXPECT_EQ(CheckUpd(Update(kCoin / 2), kCoin), "channel-update-not-increasing");
  EXPECT_EQ(CheckUpd(Update(0), 0), "channel-update-not-increasing");
}

TEST_F(ChannelTest, OverCapacityUpdateIsRejected) {
  ChannelUpdate update = Update(channel_.MaxPaid());
  update.paid += 1;
  EXPECT_EQ(CheckUpd(update), "channel-update-over-capacity");
  update.paid = -1;
  EXPECT_EQ(CheckUpd(update), "channel-update-over-capacity");
  Uint256 sighash;
  EXPECT_FALSE(UpdateSighash(channel_, channel_.MaxPaid() + 1, root_, &sighash).ok());
  EXPECT_FALSE(UpdateSighash(channel_, kMaxMoney, root_, &sighash).ok());
}

TEST_F(ChannelTest, ForgedUpdateIsRejected) {
  EXPECT_EQ(CheckUpd(Update(kCoin, holder_)), "channel-update-bad-sig");
  ChannelUpdate raised = Update(kCoin);
  raised.paid += 1;
  EXPECT_EQ(CheckUpd(raised), "channel-update-bad-sig");
  ChannelUpdate rerooted = Update(kCoin);
  rerooted.receipts_root = SampleHash(9);
  EXPECT_EQ(CheckUpd(rerooted), "channel-update-bad-sig");
}

TEST_F(ChannelTest, UpdateForAnotherChannelIsRejected) {
  ChannelUpdate update = Update(kCoin);
  update.funding.index += 1;
  EXPECT_EQ(CheckUpd(update), "channel-update-wrong-channel");
}

TEST_F(ChannelTest, ChannelAmountsAreChecked) {
  ValidationState state;
  Channel c = channel_;
  c.capacity = 0;
  EXPECT_FALSE(CheckChannel(c, &state));
  EXPECT_EQ(state.reason(), "channel-capacity-range");
  c = channel_;
  c.capacity = kMaxMoney + 1;
  state = ValidationState();
  EXPECT_FALSE(CheckChannel(c, &state));
  EXPECT_EQ(state.reason(), "channel-capacity-range");
  c = channel_;
  c.close_fee = c.capacity;
  state = ValidationState();
  EXPECT_FALSE(CheckChannel(c, &state));
  EXPECT_EQ(state.reason(), "channel-fee-range");
}

TEST_F(ChannelTest, ChannelAndUpdateRoundTrip) {
  Channel channel;
  ASSERT_TRUE(Deserialize(Serialize(channel_), &channel).ok());
  EXPECT_EQ(channel, channel_);
  const ChannelUpdate sent = Update(kCoin);
  ChannelUpdate update;
  ASSERT_TRUE(Deserialize(Serialize(sent), &update).ok());
  EXPECT_EQ(update, sent);
}

}  // namespace
}  // namespace cc
