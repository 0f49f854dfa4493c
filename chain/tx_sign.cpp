#include "chain/tx_sign.h"

namespace cc {

Status SignInput(Transaction* tx, uint32_t index, const TxOut& spent, const PrivateKey& key) {
  if (index >= tx->inputs.size()) return Status::InvalidArgument("input index out of range");
  TxIn& in = tx->inputs[index];
  const XOnlyPubKeyBytes pubkey = key.PublicKey();
  if (in.pubkey != pubkey) return Status::InvalidArgument("input pubkey is not the key's");
  if (!IsSpendableBy(spent, pubkey)) {
    return Status::InvalidArgument("spent output is not locked to the key");
  }
  in.signature = key.Sign(tx->Sighash(index, spent));
  return Status::OK();
}

}  // namespace cc
