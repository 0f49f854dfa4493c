// StepPlan: one training step as a DAG of work units, each a pure function of
// the tensors it names as inputs.
//
// STAGES. Attention splits the network into regions: region r runs from the
// attention of layer r−1 to that of layer r (region 0 starts at the tokens,
// region L ends at the loss). A stage is what one section computes within one
// region (compute/partition.h, SectionOps); a section spanning m attentions
// has m+1 stages. Each stage is one FORWARD and one BACKWARD unit:
//   FORWARD  (step, lane, section, layer = r)
//   BACKWARD (step, lane, section, layer = r)
//   ATTENTION(step, lane, layer = l, head_group, query_segment)
//   UPDATE   (step, section)
// (UnitId fields a kind does not use are zero; FORWARD and BACKWARD use
// `layer` for the region, "the stage that feeds layer r's attention".)
//
// THE STREAM. Between atoms the residual stream h (B, T, C) is committed as
// one or more tensors whose sum, in order, is h: one tensor after a run of
// whole atoms; one per shard after a split atom (shard 0's is h + its part,
// the others' their part alone).
//
// UNITS, inputs → outputs (every tensor fp32 unless noted):
//   FORWARD (s, r)
//     in:  weights W_s (P_s)
//          tokens (B, T) u8                   if the stage embeds
//          targets, mask (B, T) u8            if the stage ends in the loss
//          stream parts (B, T, C) …           h before its first atom (for a
//                                             stage that starts after attention
//                                             l: h before ATT(l)); not read by a
//                                             stage that embeds, nor by the
//                                             projection of an attention shard
//                                             past the first (its part excludes h)
//          attention slices (B, Tq, nh·HS) …  if it starts after attention l:
//                                             ATTENTION(l, g, q) for each head
//                                             group g meeting its heads, each q
//     out: stream (B, T, C)                   if a later unit reads it
//          qkv (B, T, 3·nh·HS)                if it ends at attention l: q | k | v
//                                             of its heads, head-major
//          + the loss (a number)              if it ends in the loss
//   ATTENTION (l, g, q)
//     in:  qkv of every stage holding heads of group g in layer l
//     out: y (B, Tq, nh_g·HS): causal softmax(q kᵀ/√HS) v for the query rows of
//          segment q, exact over key segments by online softmax (eq. 9–10)
//   BACKWARD (s, r)
//     in:  FORWARD (s, r)'s inputs, then the gradients of its outputs:
//          ∂L/∂stream from each unit that read its stream output
//          ∂L/∂y of its heads from BACKWARD (s, r+1)   if it ends at attention r
//     out: ∂L/∂stream (B, T, C)               unless the stage embeds
//          ∂L/∂y (B, T, nh·HS)                 if it starts after attention
//          ∂L/∂W for the stage's slice of W_s (its ops' parameter range)
//     It recomputes the stage (eq. 5), and for a stage ending at attention
//     also the attention of its heads, from the committed inputs.
//   UPDATE (s)
//     in:  weights W_s, optimizer state (AdamW: (2, P_s) = m, v; SGD: (0))
//          ∂L_j/∂W for each lane j, each stage of s in region order
//     out: weights W_s' and optimizer state' for the next step
//     SGD: w' = Σ_j α_j (w − η g_j) with α_j = 1/lanes (eq. 8); AdamW on
//     g = Σ_j α_j g_j, as torch::optim::AdamW, bias-corrected at step + 1.
//
// L_j is lane j's loss: the mean cross-entropy over its mask's positions.
// Monolithic training on the concatenated lanes with loss (1/lanes) Σ_j L_j
// takes the same step.
//
// Thread safety: values and free functions without shared state.

#ifndef COMPUTECOIN_COMPUTE_PLAN_H
#define COMPUTECOIN_COMPUTE_PLAN_H

#include <cstdint>
#include <string>
#include <vector>

#include "chain/status.h"
#include "chain/work.h"
#include "compute/model_config.h"
#include "compute/partition.h"
#include "compute/tensor.h"

namespace cc::compute {

/// What a tensor is, in a unit's inputs or outputs.
enum class TensorRole : uint8_t {
  kWeights = 0,         //!< (P_s) a section's flat weights
  kOptimizerState = 1,  //!< (2, P_s) AdamW m, v; (0) for SGD
  kTokens = 2,          //!< (B, T) u8
  kTargets = 3,         //!< (B, T) u8
  kLossMask = 4,        //!< (B, T) u8, 1 where the loss counts
  kStream = 5,          //!< (B, T, C) one part of the residual stream
  kQkv = 6,             //!< (B, T, 3·nh·HS) for heads [head_begin, head_end)
  kAttention = 7,       //!< (B, row_end−row_begin, nh·HS) for heads and rows
  kStreamGrad = 8,      //!< (B, T, C)
  kAttentionGrad = 9,   //!< (B, T, nh·HS) for heads [head_begin, head_end)
  kParamGrad = 10,      //!< (param_end − param_begin) over W_s[param_begin, param_end)
};

/// Activations and their gradients: the roles committed in
/// ModelConfig::stream_codec (the others are fp32, or u8 for batches).
[[nodiscard]] constexpr bool IsStream(TensorRole role) {
  return role == TensorRole::kStream || role == TensorRole::kQkv ||
         role == TensorRole::kAttention || role == TensorRole::kStreamGrad ||
         role == TensorRole::kAttentionGrad;
}

struct TensorSlot {
  TensorRole role = TensorRole::kWeights;
  Codec codec = Codec::kFloat32;
  std::vector<uint64_t> shape;
  uint32_t head_begin = 0, head_end = 0;    //!< kQkv, kAttention, kAttentionGrad
  uint32_t row_begin = 0, row_end = 0;      //!< kAttention: query rows
  uint64_t param_begin = 0, param_end = 0;  //!< kParamGrad

  /// The bytes of the encoding of a tensor filling this slot.
  uint64_t EncodingLength() const { return compute::EncodingLength(codec, shape); }

  bool operator==(const TensorSlot&) const = default;
};

/// A tensor a node fetches from its peers: its id, the training step whose
/// retention keeps it (compute/tensor_store.h), and the length of its
/// encoding, which the slot it fills fixes: a peer that claims more is not
/// serving that tensor.
struct TensorToFetch {
  Uint256 hash;
  uint64_t step = 0;
  uint64_t length = 0;

  bool operator==(const TensorToFetch&) const = default;
};

/// Where an input comes from.
struct Source {
  enum class Kind : uint8_t {
    kState = 0,  //!< the section's weights / optimizer state at the start of the step
    kBatch = 1,  //!< the batch of (step, the unit's lane)
    kUnit = 2,   //!< output `output` of unit `unit` of the same step
  };
  Kind kind = Kind::kState;
  UnitId unit;
  uint32_t output = 0;

  bool operator==(const Source&) const = default;
};

struct UnitInput {
  TensorSlot slot;
  Source source;
};

struct PlannedUnit {
  UnitId id;
  std::vector<UnitInput> inputs;
  std::vector<TensorSlot> outputs;
  bool has_loss = false;  //!< a FORWARD stage that ends in the loss
  /// The section whose holder computes it (consensus/schedule.h, UNITS): its
  /// own for FORWARD, BACKWARD and UPDATE; for ATTENTION (no section of its
  /// own) that of the unit its first input comes from, the stage that made
  /// its q, so attention stays with the layer's weights.
  uint32_t home_section = 0;

  /// The distinct units this one reads outputs of, in input order.
  std::vector<UnitId> Dependencies() const;
};

struct StepPlan {
  uint64_t step = 0;
  std::vector<PlannedUnit> units;  //!< a valid execution order (dependencies first)

  /// The unit with this id, or nullptr if the step has none.
  const PlannedUnit* Find(const UnitId& id) const;
  /// The unit at `id`'s place whatever id.step (every step's plan lists the
  /// same units and slots, so one plan describes any step's), or nullptr.
  const PlannedUnit* FindIgnoringStep(UnitId id) const;
};

/// The plan of `step` for a model cut as `partition`.
/// REQUIRES: config.Validate().ok(); partition from PartitionModel(config, config.sections).
StepPlan BuildStepPlan(const ModelConfig& config, const Partition& partition, uint64_t step);

/// "FORWARD", "BACKWARD", "ATTENTION" or "UPDATE".
const char* UnitKindName(UnitKind kind);
/// e.g. "FORWARD(step=3 lane=1 section=2 layer=1)".
std::string UnitName(const UnitId& id);

/// What executing a planned unit produced: its outputs in the plan's order.
struct UnitResult {
  std::vector<EncodedTensor> outputs;
  float loss = 0.0f;  //!< the lane's mean loss, for a FORWARD unit with has_loss
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_PLAN_H
