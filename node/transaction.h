// The node's entry point for transactions from RPC and the wallet: the
// mempool's checks (validation/mempool_accept.h), then relay to peers and
// the wallets.
//
// Thread safety: as the mempool and the peer manager.

#ifndef COMPUTECOIN_NODE_TRANSACTION_H
#define COMPUTECOIN_NODE_TRANSACTION_H

#include "chain/evidence.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "chain/validation.h"
#include "validation/mempool_accept.h"

namespace cc {

struct NodeContext;

/// Checks `tx` against the tip and the mempool and, if it passes and
/// !test_only, adds it, announces it to peers and offers it to the loaded
/// wallets (so a payment to them shows as pending at once). Returns true; false with
/// *state filled. REQUIRES: node.chain and node.mempool are set.
[[nodiscard]] bool AcceptToMempool(NodeContext& node, const Transaction& tx, bool test_only,
                                   ValidationState* state);

/// Forfeits the bonds of evidence.Offender(): a slashing transaction
/// spending every kWorkerBond and kUnbonding output locked to that key
/// (chain/evidence.h), paying the reporter's half to `reward_lock`, through
/// AcceptToMempool. Sets *txid. Returns NotFound when the offender has no
/// such output left (nothing to slash), InvalidArgument with the mempool's
/// reason when it refuses the transaction, and the UTXO set's errors.
Status SubmitSlash(NodeContext& node, const Evidence& evidence, const Uint256& reward_lock,
                   Uint256* txid);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_TRANSACTION_H
