// The node's mempool, kept in step with the chain, and the one way a
// transaction enters it (Bitcoin Core's node/transaction.h): RPC's
// sendrawtransaction, the wallet and peers all call AcceptToMempool.
//
// Thread safety: the mempool locks itself; MempoolUpdater is called by the
// ChainManager (validation/chain_manager.h) in chain order.

#ifndef COMPUTECOIN_NODE_TRANSACTION_H
#define COMPUTECOIN_NODE_TRANSACTION_H

#include <cstdint>
#include <vector>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/mempool.h"
#include "chain/transaction.h"
#include "chain/validation.h"
#include "validation/chain_manager.h"

namespace cc {

struct NodeContext;

/// Keeps a mempool in step with the main chain: a connected block's
/// transactions and everything conflicting with them leave it; a
/// disconnected block's transactions are offered to it again.
class MempoolUpdater final : public ChainListener {
 public:
  /// REQUIRES: both outlive the updater.
  MempoolUpdater(Mempool* mempool, const ChainState* chain) : mempool_(mempool), chain_(chain) {}

  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  Mempool* const mempool_;
  const ChainState* const chain_;
};

/// Checks `tx` against the tip's UTXO set and the mempool and, if it passes,
/// adds it (Mempool::AcceptTransaction). With test_only nothing is added.
/// Returns true; false with *state filled (its category tells a peer's
/// fault from policy). REQUIRES: node.chain and node.mempool are set.
[[nodiscard]] bool AcceptToMempool(NodeContext& node, const Transaction& tx, bool test_only,
                                   ValidationState* state);

/// The mempool's best transactions for the next block and their total fee
/// (a TxSelector for ChainManager::Generate).
void SelectMempoolTxs(const Mempool& mempool, std::vector<Transaction>* txs, Amount* fees);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_TRANSACTION_H
