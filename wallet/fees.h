// Fee rates, transaction sizes and the fee estimator.
//
// A fee rate is base units per 1000 bytes of serialized transaction, as the
// mempool's min_relay_fee_per_kb (chain/mempool.h). Sizes are exact, not
// estimated: every input is 132 bytes (outpoint 36, pubkey 32, signature
// 64) and every plain output 41 (value 8, kind 1, lock 32), signed or not;
// Wallet::CreateTransaction adds what longer outputs (a bond's payout with
// its signature) take beyond that.
//
// FeeEstimator: what fee rate gets a transaction into a block within
// `target` blocks. Two signals, the higher wins, never below the floor:
//   recent blocks  the fee rates of the transactions the last
//                  kEstimatorBlocks blocks confirmed; the estimate is their
//                  q-th percentile with q = 0.5 + 0.4 / target (the 90th for
//                  the next block, towards the median for distant targets)
//   the mempool    the rate of the transaction at byte position
//                  target · max_block_bytes when the mempool is sorted best
//                  rate first: paying more than it puts a transaction within
//                  the first `target` blocks' worth of waiting bytes; zero
//                  when the whole mempool fits
// A new block or mempool snapshot replaces the old data; nothing is stored.
// Simpler than Bitcoin Core's CBlockPolicyEstimator (no tracking of how long
// each transaction waited); good enough while blocks are rarely full.
//
// Thread safety: FeeEstimator is not thread-safe; the caller serialises calls.

#ifndef COMPUTECOIN_WALLET_FEES_H
#define COMPUTECOIN_WALLET_FEES_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "chain/amount.h"
#include "chain/mempool.h"

namespace cc::wallet {

inline constexpr size_t kTxOverheadSize = 4 + 4;  //!< version and lock_height
inline constexpr size_t kInputSize = 36 + 32 + 64;
inline constexpr size_t kOutputSize = 8 + 1 + 32;

/// Bytes of a transaction with n_in inputs and n_out outputs.
size_t TxSize(size_t n_in, size_t n_out);

struct FeeRate {
  Amount per_kb = 0;  //!< base units per 1000 bytes, e.g. 1000

  /// The fee for `bytes` at this rate, rounded up (never under the mempool's
  /// truncating minimum).
  Amount GetFee(size_t bytes) const;
  /// The rate of paying `fee` for `bytes`. REQUIRES: bytes > 0.
  static FeeRate FromFee(Amount fee, size_t bytes);
  auto operator<=>(const FeeRate&) const = default;
};

/// Default fee-rate floor: the mempool's minimum relay rate.
inline constexpr FeeRate kDefaultMinFeeRate{kDefaultMinRelayFeePerKb};
/// Rate at which an output is dust: spending it would cost about a third of
/// its value or more (Bitcoin Core's dustrelayfee, 3000 per kB).
inline constexpr FeeRate kDustRelayFeeRate{3000};
/// Fee rates above this are refused as a likely mistake (0.1 coin per kB).
inline constexpr FeeRate kMaxFeeRate{kCoin / 10};

/// The smallest value worth creating as an output: the cost, at the dust
/// rate, of the output plus the input that will spend it.
Amount DustThreshold(FeeRate dust_rate = kDustRelayFeeRate);

/// Blocks of history the estimator keeps.
inline constexpr size_t kEstimatorBlocks = 100;
/// Highest confirmation target it answers for (larger targets are clamped).
inline constexpr uint32_t kMaxConfirmTarget = 1008;
/// Bytes of transactions a block carries, for the mempool signal.
inline constexpr size_t kDefaultMaxBlockBytes = 1'000'000;

/// A transaction's fee and size, as blocks and the mempool report them.
struct TxFeeInfo {
  Amount fee = 0;
  size_t size = 0;
};

class FeeEstimator {
 public:
  explicit FeeEstimator(FeeRate floor = kDefaultMinFeeRate,
                        size_t max_block_bytes = kDefaultMaxBlockBytes)
      : floor_(floor), max_block_bytes_(max_block_bytes) {}

  /// Records the non-coinbase transactions a new block confirmed; the oldest
  /// block falls out beyond kEstimatorBlocks. Entries with size 0 are ignored.
  void ProcessBlock(const std::vector<TxFeeInfo>& txs);
  /// Forgets the newest block (it was disconnected).
  void RemoveLastBlock();
  /// Replaces the mempool snapshot.
  void ProcessMempool(const std::vector<TxFeeInfo>& txs);

  /** Returns: the fee rate for confirmation within `target` blocks (file
   *           comment), at least the floor. target 0 is read as 1.
   */
  FeeRate EstimateFeeRate(uint32_t target) const;

  FeeRate floor() const { return floor_; }
  size_t blocks() const { return blocks_.size(); }

 private:
  FeeRate floor_;
  size_t max_block_bytes_;
  std::deque<std::vector<FeeRate>> blocks_;  // oldest first, each block's tx rates
  std::vector<TxFeeInfo> mempool_;
};

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_FEES_H
