// The node's entry point for transactions from RPC and the wallet: the
// mempool's checks (validation/mempool_accept.h), then relay to peers and
// the wallets.
//
// Thread safety: as the mempool and the peer manager.

#ifndef COMPUTECOIN_NODE_TRANSACTION_H
#define COMPUTECOIN_NODE_TRANSACTION_H

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

}  // namespace cc

#endif  // COMPUTECOIN_NODE_TRANSACTION_H
