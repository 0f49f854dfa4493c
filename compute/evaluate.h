// Exact-match evaluation of the model on held-out addition problems.
//
// A problem counts as solved when greedy decoding of its prompt ("123+456=")
// gives exactly the answer and a newline ("579\n"). Held-out problems never
// appear in a training batch (compute/dataset.h), so the score measures
// learning addition, not remembering lines.
//
// Thread safety: as the engine it uses.

#ifndef COMPUTECOIN_COMPUTE_EVALUATE_H
#define COMPUTECOIN_COMPUTE_EVALUATE_H

#include <cstdint>

#include "chain/status.h"
#include "compute/engine.h"

namespace cc::compute {

struct Evaluation {
  uint64_t problems = 0;  //!< how many were asked, e.g. 500
  uint64_t correct = 0;   //!< how many were solved exactly

  double accuracy() const { return problems == 0 ? 0.0 : static_cast<double>(correct) / problems; }
};

/// Asks the engine's current model `count` held-out `digits`-digit problems
/// chosen by `seed` and counts the exact answers into *out.
/// Returns InvalidArgument for digits or count that HeldOutProblems refuses;
/// errors from generation pass through.
Status EvaluateAddition(Engine* engine, uint32_t digits, uint64_t count, uint64_t seed,
                        Evaluation* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_EVALUATE_H
