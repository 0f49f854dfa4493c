#include "wallet/fees.h"

#include <algorithm>

namespace cc::wallet {
namespace {

// 128-bit intermediate products: rate · bytes can pass 2^63 for absurd inputs.
__extension__ typedef __int128 Int128;

size_t CompactSizeLen(size_t n) { return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9; }

}  // namespace

size_t TxSize(size_t n_in, size_t n_out) {
  return kTxOverheadSize + CompactSizeLen(n_in) + n_in * kInputSize + CompactSizeLen(n_out) +
         n_out * kOutputSize;
}

Amount FeeRate::GetFee(size_t bytes) const {
  return static_cast<Amount>((static_cast<Int128>(per_kb) * static_cast<Int128>(bytes) + 999) /
                             1000);
}

FeeRate FeeRate::FromFee(Amount fee, size_t bytes) {
  return FeeRate{static_cast<Amount>(static_cast<Int128>(fee) * 1000 / static_cast<Int128>(bytes))};
}

Amount DustThreshold(FeeRate dust_rate) { return dust_rate.GetFee(kOutputSize + kInputSize); }

void FeeEstimator::ProcessBlock(const std::vector<TxFeeInfo>& txs) {
  std::vector<FeeRate> rates;
  rates.reserve(txs.size());
  for (const TxFeeInfo& tx : txs) {
    if (tx.size > 0 && tx.fee >= 0) rates.push_back(FeeRate::FromFee(tx.fee, tx.size));
  }
  std::sort(rates.begin(), rates.end());
  blocks_.push_back(std::move(rates));
  while (blocks_.size() > kEstimatorBlocks) blocks_.pop_front();
}

void FeeEstimator::RemoveLastBlock() {
  if (!blocks_.empty()) blocks_.pop_back();
}

void FeeEstimator::ProcessMempool(const std::vector<TxFeeInfo>& txs) {
  mempool_.clear();
  for (const TxFeeInfo& tx : txs) {
    if (tx.size > 0 && tx.fee >= 0) mempool_.push_back(tx);
  }
}

FeeRate FeeEstimator::EstimateFeeRate(uint32_t target) const {
  target = std::clamp<uint32_t>(target, 1, kMaxConfirmTarget);
  FeeRate best = floor_;

  // Recent blocks: the q-th percentile of confirmed rates.
  std::vector<FeeRate> all;
  for (const auto& block : blocks_) all.insert(all.end(), block.begin(), block.end());
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    const double q = 0.5 + 0.4 / target;
    const size_t pos = std::min(all.size() - 1, static_cast<size_t>(q * (all.size() - 1) + 0.5));
    best = std::max(best, all[pos]);
  }

  // The mempool: the rate at byte position target · max_block_bytes.
  std::vector<TxFeeInfo> sorted = mempool_;
  std::sort(sorted.begin(), sorted.end(), [](const TxFeeInfo& a, const TxFeeInfo& b) {
    return FeeRate::FromFee(a.fee, a.size) > FeeRate::FromFee(b.fee, b.size);
  });
  const size_t room = static_cast<size_t>(target) * max_block_bytes_;
  size_t bytes = 0;
  for (const TxFeeInfo& tx : sorted) {
    bytes += tx.size;
    if (bytes > room) {
      // Beat this transaction's rate by one unit per kB.
      FeeRate rate = FeeRate::FromFee(tx.fee, tx.size);
      rate.per_kb += 1;
      best = std::max(best, rate);
      break;
    }
  }
  return best;
}

}  // namespace cc::wallet
