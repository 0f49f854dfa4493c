#include "node/transaction.h"

#include "node/context.h"

namespace cc {

bool AcceptToMempool(NodeContext& node, const Transaction& tx, bool test_only,
                     ValidationState* state) {
  if (!AcceptToMempool(*node.mempool, *node.chain, tx, test_only, state)) return false;
  if (!test_only && node.peerman) node.peerman->RelayTransaction(tx.Txid());
  return true;
}

}  // namespace cc
