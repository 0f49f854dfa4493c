// FeeEstimation: the node's fee estimator (wallet/fees.h FeeEstimator) fed
// from the chain and the mempool, for estimatesmartfee and the wallet's
// sends.
//
// Feeding: a ChainListener. For each connected block it reads the block's
// undo data (the coins its transactions spent, present for every main-chain
// block) to get each transaction's fee, and records the fee rates; a
// disconnected block is forgotten. A block whose undo data cannot be read is
// recorded as carrying no transactions, so that connects and disconnects
// stay paired. The mempool is read at each estimate (a snapshot of every
// entry's fee and size), so the estimate follows what is waiting now.
// The floor is the mempool's minimum relay rate: nothing estimated is below
// what the mempool accepts.
//
// Thread safety: every method may be called from any thread (mu_).

#ifndef COMPUTECOIN_NODE_FEE_ESTIMATION_H
#define COMPUTECOIN_NODE_FEE_ESTIMATION_H

#include <cstdint>
#include <mutex>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/mempool.h"
#include "node/context.h"
#include "validation/chain_manager.h"
#include "wallet/fees.h"

namespace cc {

class FeeEstimation final : public ChainListener {
 public:
  /// REQUIRES: chain and mempool outlive this object.
  FeeEstimation(const ChainState* chain, const Mempool* mempool);

  FeeEstimation(const FeeEstimation&) = delete;
  FeeEstimation& operator=(const FeeEstimation&) = delete;

  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

  /// The fee rate for confirmation within `target` blocks (FeeEstimator),
  /// never below the mempool's minimum relay rate.
  wallet::FeeRate Estimate(uint32_t target);
  /// Blocks of history the estimate draws on (0: the floor or the mempool only).
  size_t blocks() const;

 private:
  const ChainState* const chain_;
  const Mempool* const mempool_;
  mutable std::mutex mu_;
  wallet::FeeEstimator estimator_;  // GUARDED_BY(mu_)
};

/// Makes node->fee_estimation over the node's chain and mempool and
/// registers it with node->chainman (after the MempoolUpdater).
/// REQUIRES: StartTraining succeeded (chain, mempool and chainman are set).
void StartFeeEstimation(NodeContext* node);
/// Removes node->fee_estimation from node->chainman and frees it; nothing
/// if it was never started. Call before node->chainman is reset.
void StopFeeEstimation(NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_FEE_ESTIMATION_H
