// The mempool beside the validated chain: the one way a transaction enters
// it (RPC, wallet and peers all call AcceptToMempool), the listener that
// keeps it in step with the main chain, and block assembly's selection.
//
// Thread safety: the mempool and the chain state lock themselves;
// MempoolUpdater is called by ChainManager in chain order.

#ifndef COMPUTECOIN_VALIDATION_MEMPOOL_ACCEPT_H
#define COMPUTECOIN_VALIDATION_MEMPOOL_ACCEPT_H

#include <cstdint>
#include <vector>

#include "chain/amount.h"
#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/mempool.h"
#include "chain/transaction.h"
#include "chain/validation.h"
#include "validation/chain_manager.h"

namespace cc {

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

/// Checks `tx` against the tip's UTXO set (`chain`) and the mempool and, if
/// it passes, adds it (Mempool::AcceptTransaction); with test_only nothing
/// is added. Returns true; false with *state filled (its category tells a
/// sender's fault from policy).
[[nodiscard]] bool AcceptToMempool(Mempool& mempool, const ChainState& chain, const Transaction& tx,
                                   bool test_only, ValidationState* state);

/// The mempool's best transactions for the next block and their total fee
/// (a TxSelector for ChainManager::Generate).
void SelectMempoolTxs(const Mempool& mempool, std::vector<Transaction>* txs, Amount* fees);

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_MEMPOOL_ACCEPT_H
