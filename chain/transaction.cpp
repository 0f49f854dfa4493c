#include "chain/transaction.h"

#include <algorithm>

#include "chain/hash.h"

namespace cc {

Uint256 KeyHash(const XOnlyPubKeyBytes& pubkey32) { return TaggedHash(tags::kKeyHash, pubkey32); }

Uint256 PayoutSigningHash(const Uint256& genesis_hash, const XOnlyPubKeyBytes& worker,
                          const Uint256& payout) {
  std::vector<uint8_t> data(genesis_hash.begin(), genesis_hash.end());
  data.insert(data.end(), worker.begin(), worker.end());
  data.insert(data.end(), payout.begin(), payout.end());
  return TaggedHash(tags::kRegistration, data);
}

Uint256 ChannelLock(const ChannelTerms& terms) {
  return SerializeTaggedHash(tags::kChannelTerms, terms);
}

void Put(Writer& w, const ChannelSpend& spend) {
  w(spend.input, spend.holder, spend.timeout_height, static_cast<uint8_t>(spend.close));
  if (spend.close == ChannelClose::kCooperative) w(spend.holder_signature);
}

void Get(Reader& r, ChannelSpend& spend) {
  uint8_t close = 0;
  r(spend.input, spend.holder, spend.timeout_height, close);
  if (close == static_cast<uint8_t>(ChannelClose::kCooperative)) {
    spend.close = ChannelClose::kCooperative;
    r(spend.holder_signature);
  } else if (close == static_cast<uint8_t>(ChannelClose::kRefund)) {
    spend.close = ChannelClose::kRefund;
    spend.holder_signature = {};
  } else {
    throw DecodeError("bad-channel-close");
  }
}

std::string_view OutputKindName(OutputKind kind) {
  switch (kind) {
    case OutputKind::kPayToKeyHash:
      return "pay_to_key_hash";
    case OutputKind::kWorkerBond:
      return "worker_bond";
    case OutputKind::kChannel:
      return "channel";
    case OutputKind::kCommitment:
      return "commitment";
    case OutputKind::kUnbonding:
      return "unbonding";
    case OutputKind::kWorkerPayout:
      return "worker_payout";
  }
  return "unknown";  // unreachable: Get() admits only the kinds above
}

void Put(Writer& w, const TxOut& out) {
  w(out.value, static_cast<uint8_t>(out.kind), out.lock);
  if (out.kind == OutputKind::kWorkerBond || out.kind == OutputKind::kUnbonding) w(out.owner);
  if (out.kind == OutputKind::kWorkerPayout) w(out.payout_signature);
}

void Get(Reader& r, TxOut& out) {
  uint8_t kind = 0;
  r(out.value, kind);
  if (kind > static_cast<uint8_t>(OutputKind::kWorkerPayout)) {
    throw DecodeError("bad-output-kind");
  }
  out.kind = static_cast<OutputKind>(kind);
  r(out.lock);
  if (out.kind == OutputKind::kWorkerBond || out.kind == OutputKind::kUnbonding) {
    r(out.owner);
  } else {
    out.owner = Uint256();
  }
  if (out.kind == OutputKind::kWorkerPayout) {
    r(out.payout_signature);
  } else {
    out.payout_signature = {};
  }
}

bool IsSpendableBy(const TxOut& out, const XOnlyPubKeyBytes& pubkey) {
  switch (out.kind) {
    case OutputKind::kPayToKeyHash:
      return out.lock == KeyHash(pubkey);
    case OutputKind::kWorkerBond:
    case OutputKind::kUnbonding:
      return out.owner == KeyHash(pubkey);
    case OutputKind::kChannel:
    case OutputKind::kCommitment:
    case OutputKind::kWorkerPayout:
      return false;
  }
  return false;  // unreachable: Get() admits only the kinds above
}

Uint256 Transaction::Txid() const {
  // The Transaction encoding with an all-zero signature in every input,
  // written directly rather than by copying the transaction.
  // transaction_test checks it against Serialize() of a zeroed copy.
  static constexpr SchnorrSigBytes kNoSignature{};
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(version);
  w.WriteCompactSize(inputs.size());
  for (const TxIn& in : inputs) w(in.prevout, in.pubkey, kNoSignature);
  w(outputs, lock_height);
  if (version >= kChannelTxVersion) {
    w.WriteCompactSize(channel_spends.size());
    for (ChannelSpend spend : channel_spends) {
      spend.holder_signature = kNoSignature;
      w(spend);
    }
  }
  if (version >= kSlashTxVersion) w(evidence);
  return Hash256(bytes);
}

Uint256 Transaction::Wtxid() const { return SerializeHash(*this); }

Uint256 SighashFromTxid(const Uint256& txid, uint32_t input_index, const TxOut& spent) {
  std::vector<uint8_t> bytes;
  Writer w(&bytes);
  w(txid, input_index, spent);
  return TaggedHash(tags::kSighash, bytes);
}

Uint256 Transaction::Sighash(uint32_t input_index, const TxOut& spent) const {
  return SighashFromTxid(Txid(), input_index, spent);
}

Amount Transaction::ValueOut() const {
  Amount total = 0;
  for (const TxOut& out : outputs) total += out.value;
  return total;
}

const ChannelSpend* Transaction::FindChannelSpend(uint32_t input_index) const {
  // Sorted by input (CheckTransaction), so a block of many spends stays
  // O(n log n) to check.
  auto it = std::lower_bound(
      channel_spends.begin(), channel_spends.end(), input_index,
      [](const ChannelSpend& spend, uint32_t index) { return spend.input < index; });
  return it != channel_spends.end() && it->input == input_index ? &*it : nullptr;
}

}  // namespace cc
