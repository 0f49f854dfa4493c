#include "chain/transaction.h"

#include "chain/hash.h"

namespace cc {

Uint256 KeyHash(const XOnlyPubKeyBytes& pubkey32) { return TaggedHash(tags::kKeyHash, pubkey32); }

void Put(Writer& w, const TxOut& out) { w(out.value, static_cast<uint8_t>(out.kind), out.lock); }

void Get(Reader& r, TxOut& out) {
  uint8_t kind = 0;
  r(out.value, kind);
  if (kind != static_cast<uint8_t>(OutputKind::kPayToKeyHash) &&
      kind != static_cast<uint8_t>(OutputKind::kWorkerBond)) {
    throw DecodeError("bad-output-kind");
  }
  out.kind = static_cast<OutputKind>(kind);
  r(out.lock);
}

bool IsSpendableBy(const TxOut& out, const XOnlyPubKeyBytes& pubkey) {
  switch (out.kind) {
    case OutputKind::kPayToKeyHash:
      return out.lock == KeyHash(pubkey);
    case OutputKind::kWorkerBond:
      return out.lock == Uint256(pubkey);
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

}  // namespace cc
