// UPDATE units: a section's new weights (and optimizer state) from the
// lanes' gradients, whitepaper eq. 8.
//
// Computed in plain C++ on one thread in a fixed order, every operation a
// single binary32 operation (compute/ builds with -ffp-contract=off, so no
// fused multiply-add), so an UPDATE gives the same bits on every machine,
// vector width and thread count (unlike FORWARD, BACKWARD
// and ATTENTION, which libtorch computes with a thread-dependent summation
// order and which are therefore verified within ε).
//
//   SGD:   w' = Σ_j α_j (w − η g_j),  α_j = 1/lanes        (eq. 8)
//   AdamW: g = Σ_j α_j g_j, then as torch::optim::AdamW at t = step + 1:
//          w ← w (1 − η λ); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²;
//          w ← w − (η / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
// η = config.LearningRate(step). Per-lane gradients g_j arrive as one tensor
// per stage of the section (compute/plan.h), each covering its range of W_s.
//
// Thread safety: a free function without shared state.

#ifndef COMPUTECOIN_COMPUTE_UPDATE_H
#define COMPUTECOIN_COMPUTE_UPDATE_H

#include <span>

#include "chain/status.h"
#include "compute/model_config.h"
#include "compute/plan.h"
#include "compute/tensor.h"

namespace cc::compute {

/// Runs the UPDATE `unit` on `inputs` (weights, optimizer state, then the
/// gradients in plan order) into out->outputs = {weights', state'}.
/// Returns InvalidArgument if the result is not finite.
/// REQUIRES: unit.id.kind == kUpdate; inputs match unit.inputs' slots.
Status RunUpdate(const ModelConfig& config, const PlannedUnit& unit,
                 std::span<const EncodedTensor* const> inputs, UnitResult* out);

/// RunUpdate written the plain way: decode, sum the lanes' gradients pass by
/// pass, apply the optimizer, encode. The reference RunUpdate's fused and
/// vectorised loop must match bit for bit (update_test); not used otherwise.
Status RunUpdateNaive(const ModelConfig& config, const PlannedUnit& unit,
                      std::span<const EncodedTensor* const> inputs, UnitResult* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_UPDATE_H
