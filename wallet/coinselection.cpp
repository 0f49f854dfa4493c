#include "wallet/coinselection.h"

#include <algorithm>
#include <limits>

namespace cc::wallet {

// ---------------------------------------------------------------------------
// Branch and bound.
//
// The coins are sorted by effective value, largest first, and searched depth
// first as a binary tree: at depth i, coin i is either included (tried first)
// or omitted. A branch is cut (we backtrack) when
//   - even with every coin not yet decided it cannot reach the target,
//   - it already exceeds target + cost_of_change (it would need change, and
//     adding coins only makes that worse),
//   - at a fee rate above the long-term rate, its waste already exceeds the
//     best found (each further input only adds waste), or
//   - it is a solution (recorded if its waste is the lowest so far; more
//     coins can only add waste).
// Backtracking returns every trailing omitted coin to `available`, then
// omits the last included coin and goes on from the coin after it. A coin
// equal (value and fee) to an omitted predecessor is omitted without trying:
// including it would repeat the sibling branch already searched. The search
// stops when the tree is exhausted or after kBnBTotalTries steps.
// ---------------------------------------------------------------------------

Status SelectCoinsBnB(std::span<const SelectableCoin> pool, Amount target, Amount cost_of_change,
                      SelectionResult* out) {
  std::vector<SelectableCoin> coins;
  for (const SelectableCoin& c : pool) {
    if (c.effective_value() > 0) coins.push_back(c);
  }
  std::sort(coins.begin(), coins.end(), [](const SelectableCoin& a, const SelectableCoin& b) {
    return a.effective_value() > b.effective_value();
  });
  Amount available = 0;  // effective value of the coins not yet decided
  for (const SelectableCoin& c : coins) available += c.effective_value();
  if (available < target) return Status::InvalidArgument(kInsufficientFunds);
  if (coins.empty() || target <= 0) return Status::NotFound("no changeless solution");

  const bool feerate_high = coins[0].fee > coins[0].long_term_fee;
  std::vector<size_t> selected;  // indices of included coins, ascending
  std::vector<size_t> best;
  Amount value = 0;  // effective value of the included coins
  Amount waste = 0;  // Σ (fee − long_term_fee) of the included coins
  Amount best_waste = std::numeric_limits<Amount>::max();
  size_t next = 0;  // the coin to decide next

  for (size_t tries = 0; tries < kBnBTotalTries; ++tries) {
    bool backtrack = false;
    if (value + available < target || value > target + cost_of_change ||
        (feerate_high && waste > best_waste)) {
      backtrack = true;
    } else if (value >= target) {
      const Amount total_waste = waste + (value - target);
      if (total_waste <= best_waste) {
        best = selected;
        best_waste = total_waste;
      }
      backtrack = true;
    }

    if (backtrack) {
      if (selected.empty()) break;  // every branch searched
      // Give back the omitted coins after the last included one.
      for (--next; next > selected.back(); --next) available += coins[next].effective_value();
      // Omit the last included coin (its value stays out of `available`).
      value -= coins[next].effective_value();
      waste -= coins[next].fee - coins[next].long_term_fee;
      selected.pop_back();
      ++next;
      continue;
    }

    // Decide coin `next`.
    const SelectableCoin& c = coins[next];
    available -= c.effective_value();
    const bool prev_omitted = next > 0 && (selected.empty() || selected.back() != next - 1);
    if (prev_omitted && c.effective_value() == coins[next - 1].effective_value() &&
        c.fee == coins[next - 1].fee) {
      // Omit: the branch including it was searched with its twin.
    } else {
      selected.push_back(next);
      value += c.effective_value();
      waste += c.fee - c.long_term_fee;
    }
    ++next;
  }

  if (best.empty()) return Status::NotFound("no changeless solution");
  SelectionResult result;
  result.algorithm = SelectionAlgorithm::kBnB;
  result.target = target;
  for (size_t i : best) result.inputs.push_back(coins[i]);
  // No change by construction: pass a min_change no excess can reach.
  result.ComputeWaste(/*min_change=*/std::numeric_limits<Amount>::max(), cost_of_change, 0);
  *out = std::move(result);
  return Status::OK();
}

// ---------------------------------------------------------------------------
// Single random draw and largest first.
// ---------------------------------------------------------------------------

Status SelectCoinsSRD(std::span<const SelectableCoin> pool, Amount target,
                      const CoinSelectionParams& params, std::mt19937_64& rng,
                      SelectionResult* out) {
  std::vector<SelectableCoin> coins;
  for (const SelectableCoin& c : pool) {
    if (c.effective_value() > 0) coins.push_back(c);
  }
  // Fisher-Yates with our own index draws: std::shuffle's use of the
  // generator is not specified, so results would differ between libraries.
  for (size_t i = coins.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(coins[i - 1], coins[j]);
  }
  const Amount need = target + params.change_fee + params.min_change;
  SelectionResult result;
  result.algorithm = SelectionAlgorithm::kSrd;
  result.target = target;
  Amount value = 0;
  for (const SelectableCoin& c : coins) {
    result.inputs.push_back(c);
    value += c.effective_value();
    if (value >= need) {
      result.ComputeWaste(params.min_change, params.cost_of_change, params.change_fee);
      *out = std::move(result);
      return Status::OK();
    }
  }
  return Status::InvalidArgument(kInsufficientFunds);
}

Status SelectCoinsLargestFirst(std::span<const SelectableCoin> pool, Amount target,
                               const CoinSelectionParams& params, SelectionResult* out) {
  const bool use_effective = !params.subtract_fee_outputs;
  auto amount = [use_effective](const SelectableCoin& c) {
    return use_effective ? c.effective_value() : c.value;
  };
  std::vector<SelectableCoin> coins;
  for (const SelectableCoin& c : pool) {
    if (amount(c) > 0) coins.push_back(c);
  }
  std::sort(coins.begin(), coins.end(), [&](const SelectableCoin& a, const SelectableCoin& b) {
    return amount(a) != amount(b) ? amount(a) > amount(b) : a.outpoint < b.outpoint;
  });
  SelectionResult result;
  result.algorithm = SelectionAlgorithm::kLargestFirst;
  result.target = target;
  result.use_effective = use_effective;
  Amount value = 0;
  for (const SelectableCoin& c : coins) {
    result.inputs.push_back(c);
    value += amount(c);
    if (value >= target) {
      result.ComputeWaste(params.min_change, params.cost_of_change, params.change_fee);
      *out = std::move(result);
      return Status::OK();
    }
  }
  return Status::InvalidArgument(kInsufficientFunds);
}

// ---------------------------------------------------------------------------
// Results.
// ---------------------------------------------------------------------------

SelectableCoin MakeSelectableCoin(const OutPoint& outpoint, Amount value, FeeRate effective,
                                  FeeRate long_term) {
  return SelectableCoin{outpoint, value, effective.GetFee(kInputSize),
                        long_term.GetFee(kInputSize)};
}

const char* AlgorithmName(SelectionAlgorithm algo) {
  switch (algo) {
    case SelectionAlgorithm::kBnB:
      return "bnb";
    case SelectionAlgorithm::kSrd:
      return "srd";
    case SelectionAlgorithm::kLargestFirst:
      return "largest_first";
  }
  return "unknown";
}

Amount SelectionResult::SelectedValue() const {
  Amount sum = 0;
  for (const SelectableCoin& c : inputs) sum += c.value;
  return sum;
}

Amount SelectionResult::SelectedAmount() const {
  Amount sum = 0;
  for (const SelectableCoin& c : inputs) sum += use_effective ? c.effective_value() : c.value;
  return sum;
}

Amount SelectionResult::GetChange(Amount min_change, Amount change_fee) const {
  const Amount change = SelectedAmount() - target - (use_effective ? change_fee : 0);
  return change < min_change ? 0 : change;
}

void SelectionResult::ComputeWaste(Amount min_change, Amount cost_of_change, Amount change_fee) {
  Amount w = 0;
  for (const SelectableCoin& c : inputs) w += c.fee - c.long_term_fee;
  if (GetChange(min_change, change_fee) > 0) {
    w += cost_of_change;
  } else {
    w += SelectedAmount() - target;
  }
  waste = w;
}

Status ChooseSelectionResult(std::span<const SelectableCoin> pool, Amount target,
                             const CoinSelectionParams& params, uint64_t seed,
                             SelectionResult* out) {
  std::vector<SelectionResult> results;
  bool too_many_inputs = false;
  auto consider = [&](Status s, SelectionResult&& r) {
    if (!s.ok()) return;
    if (r.inputs.size() > kMaxSelectedInputs) {
      too_many_inputs = true;
      return;
    }
    results.push_back(std::move(r));
  };
  SelectionResult r;
  if (!params.subtract_fee_outputs) {
    consider(SelectCoinsBnB(pool, target, params.cost_of_change, &r), std::move(r));
    std::mt19937_64 rng(seed);
    consider(SelectCoinsSRD(pool, target, params, rng, &r), std::move(r));
  }
  consider(SelectCoinsLargestFirst(pool, target, params, &r), std::move(r));
  if (results.empty()) {
    return Status::InvalidArgument(too_many_inputs ? "The inputs size exceeds the maximum"
                                                   : kInsufficientFunds);
  }
  auto best = std::min_element(results.begin(), results.end(),
                               [](const SelectionResult& a, const SelectionResult& b) {
                                 if (a.waste != b.waste) return a.waste < b.waste;
                                 return a.inputs.size() > b.inputs.size();
                               });
  *out = std::move(*best);
  return Status::OK();
}

}  // namespace cc::wallet
