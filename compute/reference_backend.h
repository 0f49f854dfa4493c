// ReferenceBackend: the units of a training step computed in plain C++, the
// same bits on every machine. Verification's arbiter (compute/engine.h).
//
// libtorch sums in an order that depends on the thread count, the vector
// width and the processor, so two honest nodes' re-executions of a unit
// differ in the last bits (DESIGN §3). A claim at distance ≈ ε from them is
// then accepted by one and refused by the other. ReferenceBackend computes
// every unit kind so that each honest node gets the same bytes ŷ_ref, and a
// claim near ε is judged against those:
//   - one thread, every loop in a fixed order written below; every product
//     of two binary32 values is exact in binary64, and every sum (dot
//     products, reductions over rows, softmax denominators, layer-norm
//     moments) is accumulated in binary64 in index order, then rounded to
//     binary32 where libtorch holds a binary32 tensor;
//   - compute/ builds with -ffp-contract=off (no fused multiply-add) and
//     without -ffast-math, so the compiler neither fuses nor reorders; the
//     reductions stay sequential (it may vectorise only element-wise loops,
//     which changes no result);
//   - exp, ln and erf come from compute/exact_math.h (our own fixed series
//     in +, −, ×, ÷), not libm; √ is correctly rounded by IEEE 754.
// It computes what compute/torch/model.cpp computes, unit for unit, with
// rounding differences only (~1e-7 relative: doc/benchmarks.md, "Arbiter"):
//   FORWARD    the stage's ops on the stream (embedding, LN → q|k|v,
//              attention projection, LN → MLP with exact-erf GELU, LN →
//              logits → masked mean cross-entropy), outputs in plan order
//   ATTENTION  causal softmax(q kᵀ/√HS) v of its heads and query rows; each
//              row's softmax over all its visible keys at once, which is the
//              online softmax over key segments of plan.h up to rounding
//   BACKWARD   the stage recomputed from its committed inputs (eq. 5), its
//              heads' attention recomputed for a stage ending at attention,
//              and the gradients of the loss, of the stream outputs and of
//              the attention outputs pulled back by hand, op by op
//   UPDATE     RunUpdate (compute/update.h), itself bit-exact
// It is not a compute::Backend: it does not generate text. It serves one
// hop of inference (Serve) without a cache, for judging a holder's answer.
//
// Thread safety: Run is const and keeps no state; it may run on several
// threads at once.

#ifndef COMPUTECOIN_COMPUTE_REFERENCE_BACKEND_H
#define COMPUTECOIN_COMPUTE_REFERENCE_BACKEND_H

#include <span>
#include <vector>

#include "chain/status.h"
#include "compute/model_config.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "compute/tensor.h"

namespace cc::compute {

class ReferenceBackend {
 public:
  /// REQUIRES: config.Validate().ok(); partition from PartitionModel(config, config.sections).
  ReferenceBackend(const ModelConfig& config, const Partition& partition);

  /// Computes `unit` on `inputs` (in the plan's input order) into *out, as
  /// Backend::Run does, for every unit kind. Returns InvalidArgument if an
  /// output or the loss is not finite.
  /// REQUIRES: inputs match unit.inputs' slots (codec, shape, length), as
  /// the engine checks before it runs a unit.
  Status Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
             UnitResult* out) const;

  /// What a SectionServer of sections [begin, end) holding `params` answers
  /// at the last step of a session whose inputs at positions [0, P) are
  /// `input` (u8 token ids (P) when begin is 0, else a (P, C) fp32 stream),
  /// that last step covering rows [P − rows, P): the stream at those rows
  /// (rows, C), or the logits of position P − 1 (V) for a hop holding HEAD
  /// (compute/serve.h). Every position is computed from scratch, without a
  /// cache, in the arithmetic above: the same bits on every machine, and
  /// within rounding of a libtorch server's answer. Judges evidence of a
  /// wrong inference output (consensus/evidence.h).
  /// Returns InvalidArgument if an output is not finite.
  /// REQUIRES: CheckServeRange(partition, begin, end) is OK; params shaped as
  /// ModelParams(config); input of that codec and shape, checked
  /// (CheckEncoding), 1 ≤ P ≤ T; 1 ≤ rows ≤ P.
  Status Serve(const ParamValues& params, uint32_t begin, uint32_t end, const EncodedTensor& input,
               uint32_t rows, EncodedTensor* out) const;

 private:
  const ModelConfig config_;
  const Partition partition_;
  const std::vector<ParamSpec> specs_;
  std::vector<std::vector<Op>> section_ops_;  // SectionOps of each section
};

/// ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂) of two float tensors of one shape (decoded
/// to fp32 first unless both are fp32), accumulated in binary64 in index
/// order (the same bits on every machine, as above); 0 when both are zero,
/// NaN if either holds a NaN or does not decode to as many values.
/// REQUIRES: for fp32, a.payload.size() == b.payload.size(), a multiple of 4.
double RelativeL2(const EncodedTensor& a, const EncodedTensor& b);

/// |a − b| / max(|a|, |b|, 1e-30): the distance between two losses.
double RelativeLossDistance(double a, double b);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_REFERENCE_BACKEND_H
