// Coin selection: which of the wallet's coins pay for a transaction.
//
// One free function per algorithm, each returning a SelectionResult scored
// by waste (Bitcoin Core's wallet/coinselection.h shape):
//   SelectCoinsBnB          branch and bound: an input set whose effective
//                           value lands in [target, target + cost_of_change],
//                           so no change output is needed; least waste wins
//   SelectCoinsSRD          single random draw: coins in random order until
//                           the target plus a change output of at least
//                           min_change is covered
//   SelectCoinsLargestFirst largest coins first until the target is met; the
//                           fallback that finds a solution whenever the
//                           funds suffice (e.g. sending everything)
//   ChooseSelectionResult   runs them and keeps the least waste (ties: more
//                           inputs, which consolidates while fees are low)
//
// Terms (amounts in base units, fee rates from fees.h):
//   effective value  value − fee to spend the coin at the effective fee rate
//   target           what the selected coins must cover: recipients plus the
//                    fee of the transaction without inputs or change (with
//                    subtract-fee-from-amount, the recipients alone, and
//                    coins count at their full value)
//   change_fee       fee of adding the change output now
//   cost_of_change   change_fee + fee to spend the change later at the
//                    long-term rate
//   min_change       the smallest change kept; less is left to the fee
//
// Waste, the one score (lower is better):
//   waste = Σ over inputs (fee − long_term_fee)
//         + (cost_of_change            if the result makes change
//            | selected − target       otherwise: the excess given to fees)
// Spending a coin now instead of later costs the difference of the fee
// rates; making change costs its creation and eventual spending; not making
// change costs whatever we overpay.
//
// Determinism: SRD draws from an std::mt19937_64 the caller seeds, so the same
// pool, target and seed give the same result on every machine.
//
// Thread safety: free functions without shared state.

#ifndef COMPUTECOIN_WALLET_COINSELECTION_H
#define COMPUTECOIN_WALLET_COINSELECTION_H

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "chain/amount.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "wallet/fees.h"

namespace cc::wallet {

/// Branch and bound gives up after this many steps of its search.
inline constexpr size_t kBnBTotalTries = 100'000;
/// Most inputs a selection may use (keeps transactions under kMaxTxSize).
inline constexpr size_t kMaxSelectedInputs = 7'000;

/// The error ChooseSelectionResult and the algorithms give when the pool's
/// total is below the target (Bitcoin Core's text).
inline constexpr char kInsufficientFunds[] = "Insufficient funds";

/// A coin that may be selected.
struct SelectableCoin {
  OutPoint outpoint;
  Amount value = 0;
  Amount fee = 0;            //!< to spend it at the effective fee rate
  Amount long_term_fee = 0;  //!< to spend it at the long-term fee rate
  Amount effective_value() const { return value - fee; }
};

/// Builds a coin with fees for one kInputSize input at each rate.
SelectableCoin MakeSelectableCoin(const OutPoint& outpoint, Amount value, FeeRate effective,
                                  FeeRate long_term);

struct CoinSelectionParams {
  FeeRate effective_feerate;
  FeeRate long_term_feerate;
  Amount change_fee = 0;
  Amount cost_of_change = 0;
  Amount min_change = 0;
  /// Recipients pay the fee: coins count at full value and BnB is skipped.
  bool subtract_fee_outputs = false;
};

enum class SelectionAlgorithm { kBnB, kSrd, kLargestFirst };
const char* AlgorithmName(SelectionAlgorithm algo);

struct SelectionResult {
  std::vector<SelectableCoin> inputs;
  Amount target = 0;
  SelectionAlgorithm algorithm = SelectionAlgorithm::kBnB;
  bool use_effective = true;  //!< amounts are effective values (false with SFFO)
  Amount waste = 0;           //!< set by ComputeWaste

  /// Sum of the inputs' values, or of their effective values if use_effective.
  Amount SelectedAmount() const;
  Amount SelectedValue() const;
  /// The change this selection makes: SelectedAmount − target − change_fee
  /// (with use_effective; SelectedAmount − target without), or 0 if that is
  /// below min_change (the remainder then goes to the fee).
  Amount GetChange(Amount min_change, Amount change_fee) const;
  /// Sets waste (file comment).
  void ComputeWaste(Amount min_change, Amount cost_of_change, Amount change_fee);
};

/** Branch and bound over coins with positive effective value.
 *
 *  Returns: OK with *out (no change: the effective value is within
 *           [target, target + cost_of_change]); InvalidArgument
 *           (kInsufficientFunds) if all coins together fall short; NotFound
 *           ("no changeless solution") if no such set was found within
 *           kBnBTotalTries.
 *  Out:     out: REQUIRES: not null. Its waste is set.
 */
Status SelectCoinsBnB(std::span<const SelectableCoin> pool, Amount target, Amount cost_of_change,
                      SelectionResult* out);

/** Single random draw (effective values, so the change pays its own fee).
 *
 *  Returns: OK with *out; InvalidArgument (kInsufficientFunds) if the pool
 *           cannot cover target + change_fee + min_change.
 *  Out:     out: REQUIRES: not null. Its waste is set.
 *  In/Out:  rng: advanced by the draw.
 */
Status SelectCoinsSRD(std::span<const SelectableCoin> pool, Amount target,
                      const CoinSelectionParams& params, std::mt19937_64& rng,
                      SelectionResult* out);

/** Largest coins first until the target is covered (values or effective
 *  values as params.subtract_fee_outputs says).
 *
 *  Returns: OK with *out; InvalidArgument (kInsufficientFunds) otherwise.
 *  Out:     out: REQUIRES: not null. Its waste is set.
 */
Status SelectCoinsLargestFirst(std::span<const SelectableCoin> pool, Amount target,
                               const CoinSelectionParams& params, SelectionResult* out);

/** Runs BnB (unless subtract_fee_outputs), SRD and largest-first; keeps
 *  the least waste.
 *
 *  Returns: OK with *out; InvalidArgument("Insufficient funds") if no
 *           algorithm covers the target; InvalidArgument("The inputs size
 *           exceeds the maximum") if every solution needs more than
 *           kMaxSelectedInputs inputs.
 *  Out:     out: REQUIRES: not null.
 *  In:      seed: seeds SRD's generator.
 */
Status ChooseSelectionResult(std::span<const SelectableCoin> pool, Amount target,
                             const CoinSelectionParams& params, uint64_t seed,
                             SelectionResult* out);

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_COINSELECTION_H
