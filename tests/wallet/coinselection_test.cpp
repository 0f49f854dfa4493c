// Coin selection, table style: each case has a title, a pool, a target and
// the expected amounts; then properties over random pools (never overspends,
// change above dust or none, deterministic with a seed) and the exact error
// texts.

#include "wallet/coinselection.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "chain/hash.h"

namespace cc::wallet {
namespace {

// Coins without fees unless a test gives rates: effective value == value.
std::vector<SelectableCoin> MakePool(const std::vector<Amount>& values, FeeRate rate = {},
                                     FeeRate long_term = {}) {
  std::vector<SelectableCoin> pool;
  for (size_t i = 0; i < values.size(); ++i) {
    OutPoint op{TaggedHash("Computecoin/TestCoin", AsBytes(std::to_string(i))),
                static_cast<uint32_t>(i)};
    pool.push_back(MakeSelectableCoin(op, values[i], rate, long_term));
  }
  return pool;
}

std::vector<Amount> SortedValues(const SelectionResult& r) {
  std::vector<Amount> v;
  for (const SelectableCoin& c : r.inputs) v.push_back(c.value);
  std::sort(v.begin(), v.end());
  return v;
}

void TestBnBSuccess(const std::string& title, const std::vector<Amount>& pool_values, Amount target,
                    const std::vector<Amount>& expected, Amount cost_of_change = 0) {
  SCOPED_TRACE(title);
  SelectionResult r;
  const Status s = SelectCoinsBnB(MakePool(pool_values), target, cost_of_change, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.algorithm, SelectionAlgorithm::kBnB);
  EXPECT_EQ(SortedValues(r), expected);
  EXPECT_GE(r.SelectedAmount(), target);
  EXPECT_LE(r.SelectedAmount(), target + cost_of_change);
}

void TestBnBFail(const std::string& title, const std::vector<Amount>& pool_values, Amount target,
                 const std::string& error, Amount cost_of_change = 0) {
  SCOPED_TRACE(title);
  SelectionResult r;
  EXPECT_EQ(SelectCoinsBnB(MakePool(pool_values), target, cost_of_change, &r).message(), error);
}

TEST(CoinSelectionTest, BnBExactMatches) {
  TestBnBSuccess("single coin exact", {1, 2, 5, 9}, 5, {5});
  TestBnBSuccess("two coins exact", {1, 2, 4, 8}, 5, {1, 4});
  TestBnBSuccess("three coins exact", {1, 2, 4, 8}, 7, {1, 2, 4});
  TestBnBSuccess("all coins exact", {1, 2, 4, 8}, 15, {1, 2, 4, 8});
  TestBnBSuccess("within cost of change", {10, 20, 35}, 33, {35}, /*cost_of_change=*/3);
  TestBnBSuccess("duplicates are fine", {5, 5, 5, 5, 7}, 15, {5, 5, 5});
  TestBnBSuccess("large pool", {100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1111}, 1111,
                 {1111});
}

TEST(CoinSelectionTest, BnBFailures) {
  TestBnBFail("no exact match", {2, 4, 8}, 5, "no changeless solution");
  TestBnBFail("insufficient", {1, 2, 3}, 7, "Insufficient funds");
  TestBnBFail("empty pool", {}, 1, "Insufficient funds");
  TestBnBFail("overshoot beyond cost of change", {10}, 5, "no changeless solution",
              /*cost_of_change=*/2);
}

TEST(CoinSelectionTest, BnBPrefersLessWasteAtHighFeeRate) {
  // At a rate above the long-term one each input is waste: one coin beats two.
  const FeeRate high{10'000}, low{1000};
  auto pool = MakePool({10'000 + 1320, 6'000 + 1320, 4'000 + 1320}, high, low);
  SelectionResult r;
  ASSERT_TRUE(SelectCoinsBnB(pool, 10'000, 0, &r).ok());
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.waste, 1320 - 132);
}

TEST(CoinSelectionTest, SrdAndLargestFirstInsufficientFunds) {
  CoinSelectionParams params;
  params.min_change = 10;
  SelectionResult r;
  std::mt19937_64 rng(1);
  EXPECT_EQ(SelectCoinsSRD(MakePool({5, 5}), 5, params, rng, &r).message(), "Insufficient funds");
  EXPECT_EQ(SelectCoinsLargestFirst(MakePool({5, 5}), 11, params, &r).message(),
            "Insufficient funds");
  EXPECT_EQ(ChooseSelectionResult(MakePool({5, 5}), 11, params, 1, &r).ToString(),
            "InvalidArgument: Insufficient funds");
}

TEST(CoinSelectionTest, ChoosePrefersChangelessWhenItWastesLess) {
  CoinSelectionParams params;
  params.cost_of_change = 100;
  params.change_fee = 41;
  params.min_change = 519;
  SelectionResult r;
  ASSERT_TRUE(
      ChooseSelectionResult(MakePool({5000, 3000, 2000, 10'000}), 5000, params, 7, &r).ok());
  EXPECT_EQ(r.algorithm, SelectionAlgorithm::kBnB);
  EXPECT_EQ(r.GetChange(params.min_change, params.change_fee), 0);
  EXPECT_EQ(r.SelectedAmount(), 5000);
}

TEST(CoinSelectionTest, SubtractFeeSpendsEverything) {
  // Sending the whole balance with the fee taken from the amount: the target
  // is the full value and only largest-first (on plain values) can meet it.
  CoinSelectionParams params;
  params.subtract_fee_outputs = true;
  params.min_change = 519;
  auto pool = MakePool({3000, 2000}, FeeRate{1000}, FeeRate{1000});
  SelectionResult r;
  ASSERT_TRUE(ChooseSelectionResult(pool, 5000, params, 7, &r).ok());
  EXPECT_FALSE(r.use_effective);
  EXPECT_EQ(r.SelectedValue(), 5000);
  EXPECT_EQ(r.GetChange(params.min_change, params.change_fee), 0);
}

struct RandomCase {
  std::vector<SelectableCoin> pool;
  Amount target;
  CoinSelectionParams params;
};

RandomCase MakeRandomCase(std::mt19937_64& gen) {
  RandomCase c;
  const FeeRate rate{static_cast<Amount>(1000 + gen() % 20'000)};
  const FeeRate long_term{10'000};
  std::vector<Amount> values;
  const size_t n = 1 + gen() % 40;
  for (size_t i = 0; i < n; ++i) values.push_back(static_cast<Amount>(1000 + gen() % 1'000'000));
  c.pool = MakePool(values, rate, long_term);
  c.params.effective_feerate = rate;
  c.params.long_term_feerate = long_term;
  c.params.change_fee = rate.GetFee(kOutputSize);
  c.params.cost_of_change = c.params.change_fee + long_term.GetFee(kInputSize);
  c.params.min_change = DustThreshold();
  c.target = static_cast<Amount>(1 + gen() % 3'000'000);
  return c;
}

// Properties over random pools: never spends more than selected (selected
// amount covers target + change), change is above the dust threshold or
// absent, inputs are distinct members of the pool, funds short = error.
TEST(CoinSelectionTest, RandomPoolsNeverOverspend) {
  std::mt19937_64 gen(20261201);
  int solved = 0;
  for (int round = 0; round < 300; ++round) {
    const RandomCase c = MakeRandomCase(gen);
    SelectionResult r;
    const Status s = ChooseSelectionResult(c.pool, c.target, c.params, round, &r);
    Amount total = 0;
    for (const SelectableCoin& coin : c.pool) total += std::max<Amount>(0, coin.effective_value());
    if (!s.ok()) {
      EXPECT_EQ(s.message(), "Insufficient funds");
      EXPECT_LT(total, c.target + 0 + c.params.change_fee + c.params.min_change + 1);
      continue;
    }
    ++solved;
    const Amount change = r.GetChange(c.params.min_change, c.params.change_fee);
    EXPECT_TRUE(change == 0 || change >= c.params.min_change) << change;
    EXPECT_GE(r.SelectedAmount(), c.target + (change > 0 ? c.params.change_fee + change : 0));
    std::set<OutPoint> seen;
    for (const SelectableCoin& coin : r.inputs) {
      EXPECT_TRUE(seen.insert(coin.outpoint).second) << "input selected twice";
      EXPECT_NE(std::find_if(c.pool.begin(), c.pool.end(),
                             [&](const SelectableCoin& p) { return p.outpoint == coin.outpoint; }),
                c.pool.end());
    }
  }
  EXPECT_GT(solved, 100);
}

TEST(CoinSelectionTest, DeterministicWithSeed) {
  std::mt19937_64 gen(99);
  for (int round = 0; round < 50; ++round) {
    const RandomCase c = MakeRandomCase(gen);
    for (int repeat = 0; repeat < 5; ++repeat) {
      SelectionResult a, b;
      const Status sa = ChooseSelectionResult(c.pool, c.target, c.params, 1234, &a);
      const Status sb = ChooseSelectionResult(c.pool, c.target, c.params, 1234, &b);
      ASSERT_EQ(sa.ok(), sb.ok());
      if (!sa.ok()) continue;
      ASSERT_EQ(a.inputs.size(), b.inputs.size());
      for (size_t i = 0; i < a.inputs.size(); ++i) {
        EXPECT_EQ(a.inputs[i].outpoint, b.inputs[i].outpoint);  // equal, not just equivalent
      }
      EXPECT_EQ(a.algorithm, b.algorithm);
    }
  }
}

TEST(CoinSelectionTest, SrdSeedChangesDraw) {
  std::vector<Amount> values(30, 10'000);
  for (size_t i = 0; i < values.size(); ++i) values[i] += static_cast<Amount>(i);
  const auto pool = MakePool(values);
  CoinSelectionParams params;
  std::set<std::vector<Amount>> draws;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    std::mt19937_64 rng(seed);
    SelectionResult r;
    ASSERT_TRUE(SelectCoinsSRD(pool, 25'000, params, rng, &r).ok());
    draws.insert(SortedValues(r));
  }
  EXPECT_GT(draws.size(), 1u);
}

TEST(CoinSelectionTest, WasteFormula) {
  SelectionResult r;
  r.inputs = MakePool({10'000, 5'000}, FeeRate{2000}, FeeRate{1000});
  r.target = 9'000;
  // Each input: fee 264, long-term fee 132 → 132 waste each.
  r.ComputeWaste(/*min_change=*/519, /*cost_of_change=*/300, /*change_fee=*/82);
  EXPECT_EQ(r.waste, 2 * 132 + 300);  // change 15000-528-9000-82 kept
  r.target = 14'400;
  r.ComputeWaste(519, 300, 82);
  EXPECT_EQ(r.waste, 2 * 132 + (15'000 - 528 - 14'400));  // excess to fee, no change
}

}  // namespace
}  // namespace cc::wallet
