#include "node/fee_estimation.h"

#include <memory>
#include <vector>

#include "chain/serialize.h"
#include "chain/undo.h"

namespace cc {

FeeEstimation::FeeEstimation(const ChainState* chain, const Mempool* mempool)
    : chain_(chain),
      mempool_(mempool),
      estimator_(wallet::FeeRate{mempool->options().min_relay_fee_per_kb}) {}

void FeeEstimation::BlockConnected(const Block& block, uint32_t) {
  std::vector<wallet::TxFeeInfo> fees;
  BlockUndo undo;
  // One TxUndo per non-coinbase transaction, in block order (chain/undo.h).
  if (chain_->ReadUndo(block.Hash(), &undo).ok() && undo.txs.size() + 1 == block.txs.size()) {
    for (size_t i = 0; i < undo.txs.size(); ++i) {
      const Transaction& tx = block.txs[i + 1];
      Amount in = 0;
      for (const Coin& coin : undo.txs[i].spent) in += coin.out.value;
      fees.push_back({in - tx.ValueOut(), Serialize(tx).size()});
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  estimator_.ProcessBlock(fees);
}

void FeeEstimation::BlockDisconnected(const Block&, uint32_t) {
  std::lock_guard<std::mutex> lock(mu_);
  estimator_.RemoveLastBlock();
}

wallet::FeeRate FeeEstimation::Estimate(uint32_t target) {
  std::vector<wallet::TxFeeInfo> waiting;
  for (const auto& [fee, size] : mempool_->FeesAndSizes()) waiting.push_back({fee, size});
  std::lock_guard<std::mutex> lock(mu_);
  estimator_.ProcessMempool(waiting);
  return estimator_.EstimateFeeRate(target);
}

size_t FeeEstimation::blocks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return estimator_.blocks();
}

void StartFeeEstimation(NodeContext* node) {
  node->fee_estimation = std::make_shared<FeeEstimation>(node->chain.get(), node->mempool.get());
  node->chainman->AddListener(node->fee_estimation.get());
}

void StopFeeEstimation(NodeContext* node) {
  if (node->chainman && node->fee_estimation) {
    node->chainman->RemoveListener(node->fee_estimation.get());
  }
  node->fee_estimation.reset();
}

}  // namespace cc
