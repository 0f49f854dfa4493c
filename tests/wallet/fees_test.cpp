// Sizes, fee rounding, dust, and the estimator's two signals and floor.

#include "wallet/fees.h"

#include <gtest/gtest.h>

#include <vector>

#include "chain/key.h"
#include "chain/serialize.h"
#include "chain/transaction.h"

namespace cc::wallet {
namespace {

TEST(FeesTest, TxSizeMatchesSerialization) {
  Transaction tx;
  for (size_t n_in : {1u, 2u, 5u}) {
    for (size_t n_out : {1u, 2u, 3u}) {
      tx.inputs.assign(n_in, TxIn{});
      tx.outputs.assign(n_out, TxOut{});
      EXPECT_EQ(TxSize(n_in, n_out), Serialize(tx).size()) << n_in << " in, " << n_out << " out";
    }
  }
  tx.inputs.assign(300, TxIn{});
  EXPECT_EQ(TxSize(300, 3), Serialize(tx).size());
}

TEST(FeesTest, GetFeeRoundsUp) {
  EXPECT_EQ(FeeRate{1000}.GetFee(250), 250);
  EXPECT_EQ(FeeRate{1}.GetFee(1), 1);
  EXPECT_EQ(FeeRate{0}.GetFee(500), 0);
  EXPECT_EQ(FeeRate{1500}.GetFee(3), 5);
  EXPECT_EQ(FeeRate::FromFee(500, 250).per_kb, 2000);
}

TEST(FeesTest, DustThresholdIsCostOfOutputAndInput) {
  EXPECT_EQ(DustThreshold(), FeeRate{3000}.GetFee(41 + 132));
  EXPECT_EQ(DustThreshold(), 519);
}

TEST(FeesTest, EmptyEstimatorGivesFloor) {
  FeeEstimator est(FeeRate{1234});
  EXPECT_EQ(est.EstimateFeeRate(1), FeeRate{1234});
  EXPECT_EQ(est.EstimateFeeRate(0), FeeRate{1234});
  EXPECT_EQ(est.EstimateFeeRate(100000), FeeRate{1234});
}

TEST(FeesTest, CheapBlocksNeverGoBelowFloor) {
  FeeEstimator est(FeeRate{1000});
  est.ProcessBlock({{100, 1000}, {0, 500}});
  EXPECT_EQ(est.EstimateFeeRate(2), FeeRate{1000});
}

TEST(FeesTest, RecentBlocksPercentileFallsWithTarget) {
  FeeEstimator est(FeeRate{1});
  std::vector<TxFeeInfo> txs;
  for (int i = 1; i <= 100; ++i) txs.push_back({i * 1000, 1000});  // rates 1000..100000
  est.ProcessBlock(txs);
  const FeeRate next = est.EstimateFeeRate(1);
  const FeeRate later = est.EstimateFeeRate(25);
  EXPECT_EQ(next.per_kb, 90'000);  // 90th percentile
  EXPECT_LT(later, next);
  EXPECT_GE(later.per_kb, 50'000);  // never below the median
  est.RemoveLastBlock();
  EXPECT_EQ(est.EstimateFeeRate(1), FeeRate{1});
}

TEST(FeesTest, OldBlocksFallOut) {
  FeeEstimator est(FeeRate{1});
  est.ProcessBlock({{1'000'000, 1000}});
  for (size_t i = 0; i < kEstimatorBlocks; ++i) est.ProcessBlock({{2000, 1000}});
  EXPECT_EQ(est.blocks(), kEstimatorBlocks);
  EXPECT_EQ(est.EstimateFeeRate(1), FeeRate{2000});
}

TEST(FeesTest, FullMempoolRaisesEstimate) {
  FeeEstimator est(FeeRate{1000}, /*max_block_bytes=*/10'000);
  // 30 kB waiting at 5000/kB and 10 kB at 9000/kB: the next block is all 9000s.
  std::vector<TxFeeInfo> pool;
  for (int i = 0; i < 30; ++i) pool.push_back({5000, 1000});
  for (int i = 0; i < 10; ++i) pool.push_back({9000, 1000});
  est.ProcessMempool(pool);
  EXPECT_EQ(est.EstimateFeeRate(1).per_kb, 5001);  // just above the 11th kB
  EXPECT_EQ(est.EstimateFeeRate(3).per_kb, 5001);
  EXPECT_EQ(est.EstimateFeeRate(4), FeeRate{1000});  // everything fits in 4 blocks
  est.ProcessMempool({});
  EXPECT_EQ(est.EstimateFeeRate(1), FeeRate{1000});
}

}  // namespace
}  // namespace cc::wallet
