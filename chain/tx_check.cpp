#include "chain/tx_check.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "chain/evidence.h"
#include "chain/key.h"

namespace cc {
namespace {

bool Reject(ValidationState* state, const char* reason, std::string debug = {}) {
  return state->Invalid(ValidationResult::kConsensus, reason, std::move(debug));
}

std::string Vout(size_t i) { return "vout " + std::to_string(i); }
std::string Vin(size_t i) { return "vin " + std::to_string(i); }

XOnlyPubKeyBytes LockKey(const TxOut& out) {
  XOnlyPubKeyBytes key;
  std::copy(out.lock.begin(), out.lock.end(), key.begin());
  return key;
}

bool IsBondLike(OutputKind kind) {
  return kind == OutputKind::kWorkerBond || kind == OutputKind::kUnbonding;
}

// The slashing-specific context-free rules (the evidence's own are
// DecodeEvidence's).
bool CheckSlashShape(const Transaction& tx, ValidationState* state) {
  if (tx.version < kSlashTxVersion) return Reject(state, "bad-slash-version");
  if (!tx.channel_spends.empty()) return Reject(state, "bad-slash-channel");
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    // Nobody signs for the offender: a key or signature here would only make
    // copies of one slashing transaction with different wtxids.
    if (tx.inputs[i].pubkey != XOnlyPubKeyBytes{} || tx.inputs[i].signature != SchnorrSigBytes{})
      return Reject(state, "bad-slash-input-sig", Vin(i));
  }
  Evidence evidence;
  return DecodeEvidence(tx.evidence, &evidence, state);
}

}  // namespace

bool CheckTransaction(const Transaction& tx, ValidationState* state) {
  if (tx.outputs.empty()) return Reject(state, "bad-txns-vout-empty");
  if (Serialize(tx).size() > kMaxTxSize) return Reject(state, "bad-txns-oversize");

  // Each value is checked before it is added, and the total after, so the
  // total never leaves [0, 2 * kMaxMoney] and cannot overflow.
  Amount total = 0;
  for (size_t i = 0; i < tx.outputs.size(); ++i) {
    const TxOut& out = tx.outputs[i];
    if (out.value < 0) return Reject(state, "bad-txns-vout-negative", Vout(i));
    if (out.value > kMaxMoney) return Reject(state, "bad-txns-vout-toolarge", Vout(i));
    total += out.value;
    if (!MoneyRange(total)) return Reject(state, "bad-txns-txouttotal-toolarge", Vout(i));
    if (IsBondLike(out.kind) && !IsValidXOnlyPubKey(LockKey(out))) {
      return Reject(state, "bad-txns-bond-key", Vout(i));
    }
    if (out.kind == OutputKind::kCommitment && out.value != 0) {
      return Reject(state, "bad-txns-commitment-value", Vout(i));
    }
    if (out.kind == OutputKind::kWorkerPayout && out.value != 0) {
      return Reject(state, "bad-txns-payout-value", Vout(i));
    }
    // Each bond names its payout in the very next output, so that the
    // registry can read it without a search (consensus/connect.cpp).
    const bool after_bond = i > 0 && tx.outputs[i - 1].kind == OutputKind::kWorkerBond;
    const bool before_payout =
        i + 1 < tx.outputs.size() && tx.outputs[i + 1].kind == OutputKind::kWorkerPayout;
    if ((out.kind == OutputKind::kWorkerBond && !before_payout) ||
        (out.kind == OutputKind::kWorkerPayout && !after_bond)) {
      return Reject(state, "bad-txns-payout-place", Vout(i));
    }
  }

  std::vector<OutPoint> prevouts;
  prevouts.reserve(tx.inputs.size());
  for (const TxIn& in : tx.inputs) prevouts.push_back(in.prevout);
  std::sort(prevouts.begin(), prevouts.end());
  if (std::adjacent_find(prevouts.begin(), prevouts.end()) != prevouts.end()) {
    return Reject(state, "bad-txns-inputs-duplicate");
  }
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    if (tx.inputs[i].prevout.txid.IsZero()) return Reject(state, "bad-txns-prevout-null", Vin(i));
  }
  if (!tx.channel_spends.empty() && tx.version < kChannelTxVersion) {
    return Reject(state, "bad-txns-channel-version");
  }
  for (size_t k = 0; k < tx.channel_spends.size(); ++k) {
    const uint32_t input = tx.channel_spends[k].input;
    if (input >= tx.inputs.size() || (k > 0 && input <= tx.channel_spends[k - 1].input)) {
      return Reject(state, "bad-txns-channel-spend-order", "channel spend " + std::to_string(k));
    }
  }
  if (tx.IsSlash()) {
    if (tx.IsCoinbase()) return Reject(state, "bad-slash-coinbase");
    return CheckSlashShape(tx, state);
  }
  return true;
}

bool CheckPayoutSignatures(const Transaction& tx, const Uint256& genesis_hash,
                           ValidationState* state) {
  for (size_t i = 1; i < tx.outputs.size(); ++i) {
    const TxOut& payout = tx.outputs[i];
    if (payout.kind != OutputKind::kWorkerPayout) continue;
    const XOnlyPubKeyBytes worker = LockKey(tx.outputs[i - 1]);
    if (!VerifySchnorr(worker, PayoutSigningHash(genesis_hash, worker, payout.lock),
                       payout.payout_signature))
      return Reject(state, "bad-txns-payout-sig", Vout(i));
  }
  return true;
}

bool CheckInputSignatures(const Transaction& tx, std::span<const TxOut> spent,
                          ValidationState* state) {
  if (spent.size() != tx.inputs.size()) return state->Error("spent-outputs-mismatch");
  if (tx.IsSlash()) {
    // The evidence authorises spending the offender's bonds, and only those.
    Evidence evidence;
    if (!Deserialize(tx.evidence, &evidence).ok()) return Reject(state, "bad-evidence-encoding");
    const Uint256 offender(evidence.Offender());
    for (size_t i = 0; i < spent.size(); ++i) {
      if (!IsBondLike(spent[i].kind) || spent[i].lock != offender)
        return Reject(state, "bad-slash-input", Vin(i));
    }
    return true;
  }
  const Uint256 txid = tx.Txid();
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    const TxIn& in = tx.inputs[i];
    const ChannelSpend* channel = tx.FindChannelSpend(static_cast<uint32_t>(i));
    if (spent[i].kind == OutputKind::kCommitment) {
      return Reject(state, "bad-txns-commitment-spend", Vin(i));
    }
    if (spent[i].kind == OutputKind::kChannel) {
      if (channel == nullptr) return Reject(state, "bad-txns-channel-spend-missing", Vin(i));
      const ChannelTerms terms{in.pubkey, channel->holder, channel->timeout_height};
      if (ChannelLock(terms) != spent[i].lock) {
        return Reject(state, "bad-txns-channel-terms", Vin(i));
      }
    } else if (channel != nullptr) {
      return Reject(state, "bad-txns-channel-spend-unused", Vin(i));
    } else if (!IsSpendableBy(spent[i], in.pubkey)) {
      return Reject(state, "bad-txns-wrong-key", Vin(i));
    }
    const Uint256 sighash = SighashFromTxid(txid, static_cast<uint32_t>(i), spent[i]);
    if (!VerifySchnorr(in.pubkey, sighash, in.signature)) {
      return Reject(state, "bad-txns-bad-sig", Vin(i));
    }
    if (channel != nullptr && channel->close == ChannelClose::kCooperative &&
        !VerifySchnorr(channel->holder, sighash, channel->holder_signature)) {
      return Reject(state, "bad-txns-channel-holder-sig", Vin(i));
    }
  }
  return true;
}

bool CheckTxInputs(const Transaction& tx, const CoinsView& coins, uint32_t spend_height,
                   uint32_t unbonding_delay, std::vector<TxOut>* spent, Amount* fee,
                   ValidationState* state) {
  spent->clear();
  spent->reserve(tx.inputs.size());
  Amount in_total = 0;
  for (size_t i = 0; i < tx.inputs.size(); ++i) {
    const std::string vin = Vin(i);
    Coin coin;
    const Status s = coins.GetCoin(tx.inputs[i].prevout, &coin);
    if (s.IsNotFound()) {
      return state->Invalid(ValidationResult::kMissingInputs, "bad-txns-inputs-missingorspent",
                            vin);
    }
    if (!s.ok()) return state->Error("coins-view-error");
    // A slashing transaction may spend a young coinbase's bond: coinbases
    // create only zero-value bonds (free registrations), so nothing a reorg
    // could take back is paid on.
    if (!tx.IsSlash() && !coin.IsMature(spend_height)) {
      return state->Invalid(ValidationResult::kPremature, "bad-txns-premature-spend-of-coinbase",
                            vin);
    }
    if (!tx.IsSlash() && coin.out.kind == OutputKind::kUnbonding &&
        spend_height < static_cast<uint64_t>(coin.height) + unbonding_delay) {
      return state->Invalid(
          ValidationResult::kPremature, "bad-txns-unbonding-premature",
          vin + " releases at " +
              std::to_string(static_cast<uint64_t>(coin.height) + unbonding_delay));
    }
    // Checked before and after adding, so the total stays in [0, 2*kMaxMoney].
    if (!MoneyRange(coin.out.value)) {
      return state->Invalid(ValidationResult::kConsensus, "bad-txns-inputvalues-outofrange", vin);
    }
    in_total += coin.out.value;
    if (!MoneyRange(in_total)) {
      return state->Invalid(ValidationResult::kConsensus, "bad-txns-inputvalues-outofrange", vin);
    }
    spent->push_back(coin.out);
  }
  for (const ChannelSpend& channel : tx.channel_spends) {
    if (channel.close == ChannelClose::kRefund && spend_height < channel.timeout_height) {
      return state->Invalid(
          ValidationResult::kPremature, "bad-txns-channel-refund-premature",
          Vin(channel.input) + " timeout " + std::to_string(channel.timeout_height));
    }
  }
  const Amount out_total = tx.ValueOut();
  if (tx.IsSlash()) {
    // At most half goes to the reporter (and, as the fee, the producer); the
    // rest is burnt: counted nowhere, so neither a producer nor an offender
    // who reports itself gets more than half of a forfeited bond back.
    const Amount share = in_total / 2;
    if (out_total > share) {
      return state->Invalid(ValidationResult::kConsensus, "bad-slash-reward",
                            std::to_string(out_total) + " > " + std::to_string(share));
    }
    *fee = share - out_total;
    return true;
  }
  if (in_total < out_total) {
    return state->Invalid(ValidationResult::kConsensus, "bad-txns-in-belowout",
                          std::to_string(in_total) + " < " + std::to_string(out_total));
  }
  // A bond leaves only through the unbonding delay: what a key's bonds held
  // must reappear in bond or unbonding outputs locked to the same key, so
  // the value stays slashable until the delay has passed.
  std::map<Uint256, Amount> bonded;  // key → bond value spent, minus value kept locked
  for (const TxOut& s : *spent)
    if (s.kind == OutputKind::kWorkerBond) bonded[s.lock] += s.value;
  if (!bonded.empty()) {
    for (const TxOut& out : tx.outputs)
      if (IsBondLike(out.kind)) {
        auto it = bonded.find(out.lock);
        if (it != bonded.end()) it->second -= out.value;
      }
    for (const auto& [key, left] : bonded)
      if (left > 0)
        return state->Invalid(ValidationResult::kConsensus, "bad-txns-unbonding-missing",
                              key.ToHex() + " withdraws " + std::to_string(left));
  }
  *fee = in_total - out_total;
  return true;
}

}  // namespace cc
