#include "node/transaction.h"

#include <utility>
#include <vector>

#include "chain/hex.h"
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

Status SubmitSlash(NodeContext& node, const Evidence& evidence, const Uint256& reward_lock,
                   Uint256* txid) {
  const Uint256 lock(evidence.Offender());
  // A scan of the UTXO set: rare (once per offender), and no index by lock exists.
  std::vector<std::pair<OutPoint, TxOut>> bonds;
  Status s = node.chain->utxo().ForEachCoin([&](const OutPoint& op, const Coin& coin) {
    if ((coin.out.kind == OutputKind::kWorkerBond || coin.out.kind == OutputKind::kUnbonding) &&
        coin.out.lock == lock)
      bonds.emplace_back(op, coin.out);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (bonds.empty()) return Status::NotFound("nothing to slash for " + HexStr(evidence.Offender()));
  const Transaction tx = MakeSlashTransaction(evidence, bonds, reward_lock);
  ValidationState state;
  if (!AcceptToMempool(node, tx, /*test_only=*/false, &state))
    return Status::InvalidArgument(state.ToString());
  *txid = tx.Txid();
  return Status::OK();
}

}  // namespace cc
