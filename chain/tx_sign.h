// Signing transaction inputs.
//
// Every input's pubkey is part of the txid and so of every sighash: set the
// pubkeys of all inputs first, then sign them in any order. Setting a pubkey
// afterwards invalidates every signature already made.
//
// Thread safety: free functions; the caller serialises access to *tx.

#ifndef COMPUTECOIN_CHAIN_TX_SIGN_H
#define COMPUTECOIN_CHAIN_TX_SIGN_H

#include <cstdint>

#include "chain/key.h"
#include "chain/status.h"
#include "chain/transaction.h"

namespace cc {

/** Signs input `index` of *tx, which spends `spent`, with `key`, writing the
 *  signature into tx->inputs[index].signature.
 *
 *  Returns: OK; InvalidArgument, with *tx unchanged, if index is out of
 *           range, the input's pubkey is not key's public key, or `spent` is
 *           not spendable by that key.
 *  In/Out:  tx:    REQUIRES: not null.
 *  In:      index, spent, key.
 */
Status SignInput(Transaction* tx, uint32_t index, const TxOut& spent, const PrivateKey& key);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_TX_SIGN_H
