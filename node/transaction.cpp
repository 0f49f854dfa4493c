#include "node/transaction.h"

#include "node/context.h"
#include "node/wallets.h"

namespace cc {

bool AcceptToMempool(NodeContext& node, const Transaction& tx, bool test_only,
                     ValidationState* state) {
  if (!AcceptToMempool(*node.mempool, *node.chain, tx, test_only, state)) return false;
  if (test_only) return true;
  if (node.peerman) node.peerman->RelayTransaction(tx.Txid());
  if (node.wallets) node.wallets->TransactionAddedToMempool(tx);
  return true;
}

}  // namespace cc
