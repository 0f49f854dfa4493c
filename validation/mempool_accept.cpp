#include "validation/mempool_accept.h"

namespace cc {
namespace {

/// Room for transactions in a block the node assembles. Consensus bounds a
/// block by its count of transactions (kMaxBlockTxs); this keeps the bytes
/// well inside the P2P message limit too.
constexpr size_t kMaxBlockTxBytes = 1'000'000;

// The height of the next block on `chain`'s tip.
uint32_t NextHeight(const ChainState& chain) {
  Uint256 tip;
  uint32_t height = 0;
  return chain.GetTip(&tip, &height).ok() ? height + 1 : 0;
}

}  // namespace

void MempoolUpdater::BlockConnected(const Block& block, uint32_t) {
  mempool_->RemoveForBlock(block);
}

void MempoolUpdater::BlockDisconnected(const Block& block, uint32_t) {
  // Delivered after the whole change, so the view is the final tip's: a
  // transaction the new branch also confirms, or conflicts with, is refused.
  mempool_->UpdateForReorg({block}, *chain_, NextHeight(*chain_));
}

bool AcceptToMempool(Mempool& mempool, const ChainState& chain, const Transaction& tx,
                     bool test_only, ValidationState* state) {
  const uint32_t spend_height = NextHeight(chain);
  if (test_only) {
    Amount fee = 0;
    return mempool.TestAcceptTransaction(tx, chain, spend_height, &fee, state);
  }
  return mempool.AcceptTransaction(tx, chain, spend_height, state);
}

void SelectMempoolTxs(const Mempool& mempool, std::vector<Transaction>* txs, Amount* fees) {
  *fees = 0;
  for (MempoolEntryInfo& entry : mempool.SelectForBlock(kMaxBlockTxBytes)) {
    *fees += entry.fee;
    txs->push_back(std::move(entry.tx));
  }
}

}  // namespace cc
