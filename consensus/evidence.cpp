#include "consensus/evidence.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compute/local_step.h"
#include "compute/serve.h"

namespace cc {
namespace {

bool Fail(ValidationState* state, std::string reason, std::string debug = {}) {
  return state->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(debug));
}

// Re-executes the record's unit on its own committed inputs.
bool CheckWrongWork(const WorkRecord& record, const BlockContext& ctx, ValidationState* state) {
  const std::string name = compute::UnitName(record.unit);
  const compute::StepPlan plan = ctx.engine->Plan(record.unit.step);
  const compute::PlannedUnit* unit = plan.Find(record.unit);
  if (unit == nullptr) return Fail(state, "bad-evidence-unit", name);
  if (record.inputs.size() != unit->inputs.size() ||
      record.outputs.size() != unit->outputs.size())
    return Fail(state, "bad-evidence-shape", name);
  if (ctx.policy.sample <= 0.0 || record.unit.step < ctx.assume_valid_below_step) return true;

  compute::WorkClaim claim;
  claim.unit = record.unit;
  claim.input_hashes = record.inputs;
  claim.output_hashes = record.outputs;
  claim.loss = record.loss;
  claim.inputs.resize(record.inputs.size());
  claim.outputs.resize(record.outputs.size());
  compute::LaneBatches batches(*ctx.dataset, ctx.params->model);
  for (size_t i = 0; i < unit->inputs.size(); ++i) {
    const compute::UnitInput& input = unit->inputs[i];
    if (input.source.kind == compute::Source::Kind::kBatch) {
      compute::EncodedTensor* tensor = nullptr;
      const Uint256* hash = nullptr;
      const Status s =
          batches.Get(record.unit.step, record.unit.lane, input.slot.role, &tensor, &hash);
      if (!s.ok()) return state->Error("evidence-batch: " + s.ToString());
      if (*hash != record.inputs[i])
        return Fail(state, "bad-evidence-batch", name + " input " + std::to_string(i));
      claim.inputs[i] = *tensor;
      continue;
    }
    const Status s = ctx.fetch(record.inputs[i], &claim.inputs[i]);
    if (!s.ok())
      return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                            "evidence " + name + " input " + record.inputs[i].ToHex());
  }
  // Fetched tensors come hash-checked and well formed (TensorFetcher), and
  // the batches matched their hashes above.
  claim.hashes_checked = true;
  ValidationState verdict;
  Status s;
  if (compute::UnitResult recomputed; OutputsAreRecomputed(record.unit.kind)) {
    claim.outputs.clear();  // judged by their hashes alone
    s = ctx.engine->Recompute(claim, record.inputs, &verdict, &recomputed);
  } else {
    for (size_t i = 0; i < record.outputs.size(); ++i) {
      s = ctx.fetch(record.outputs[i], &claim.outputs[i]);
      if (!s.ok())
        return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                              "evidence " + name + " output " + record.outputs[i].ToHex());
    }
    s = ctx.engine->Verify(claim, record.inputs, &verdict);
  }
  if (!s.ok()) return state->Error("evidence-verify: " + s.ToString());
  if (verdict.IsValid()) return Fail(state, "bad-evidence-work-correct", name);
  return true;
}

// The session a wrong-inference transcript ends with: the steps from its
// last start (position 0) on, each continuing the one before.
bool LastSession(const std::vector<InferenceStep>& steps, size_t* first) {
  size_t start = steps.size();
  while (start > 0 && steps[start - 1].position != 0) --start;
  if (start == 0) return false;  // no step at position 0
  *first = start - 1;
  for (size_t i = *first + 1; i < steps.size(); ++i)
    if (steps[i].position != steps[i - 1].position + steps[i - 1].rows) return false;
  return true;
}

// Recomputes the holder's last answer from the committed weights, in the
// reference arithmetic (the same bits on every node), and compares.
bool CheckWrongInference(const WrongInference& ev, const ConsensusState& judged_in,
                         const BlockContext& ctx, ValidationState* state) {
  const Receipt& receipt = ev.receipt;
  const uint32_t begin = receipt.section_begin, end = receipt.section_end;
  const compute::Partition& partition = ctx.engine->partition();
  if (!compute::CheckServeRange(partition, begin, end).ok())
    return Fail(state, "bad-evidence-sections");
  for (uint32_t i = 0; i < ev.sections.size(); ++i) {
    const SectionProof& proof = ev.sections[i];
    const Uint256 leaf = compute::StateLeaf(begin + i, proof.weights, proof.optimizer_state);
    if (proof.path.leaf_index != begin + i || proof.path.tree_size != partition.sections.size() ||
        !VerifyMerkleProof(leaf, proof.path, receipt.state_root))
      return Fail(state, "bad-evidence-state", "section " + std::to_string(begin + i));
  }
  size_t first = 0;
  if (!LastSession(ev.steps, &first)) return Fail(state, "bad-evidence-transcript", "positions");
  // The session's inputs at positions [0, P), as the hop's input tensor.
  const compute::ModelConfig& config = ctx.engine->config();
  const uint64_t row_bytes = begin == 0 ? 1 : uint64_t{4} * config.d_model;
  compute::EncodedTensor input;
  input.codec = begin == 0 ? compute::Codec::kUInt8 : compute::Codec::kFloat32;
  uint64_t positions = 0;
  for (size_t i = first; i < ev.steps.size(); ++i) {
    const InferenceStep& step = ev.steps[i];
    if (step.input.size() != step.rows * row_bytes)
      return Fail(state, "bad-evidence-transcript", "step " + std::to_string(i) + " size");
    input.payload.insert(input.payload.end(), step.input.begin(), step.input.end());
    positions += step.rows;
  }
  input.shape = begin == 0 ? std::vector<uint64_t>{positions}
                           : std::vector<uint64_t>{positions, config.d_model};
  if (ctx.policy.sample <= 0.0 || judged_in.step < ctx.assume_valid_below_step) return true;

  std::vector<compute::EncodedTensor> weights(ev.sections.size());
  for (size_t i = 0; i < ev.sections.size(); ++i) {
    const Status s = ctx.fetch(ev.sections[i].weights, &weights[i]);
    if (!s.ok())
      return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                            "evidence weights " + ev.sections[i].weights.ToHex());
  }
  bool wrong = false;
  double distance = 0;
  const Status s = ctx.engine->JudgeAnswer(begin, end, weights, input, ev.steps.back().rows,
                                           ev.output, &wrong, &distance);
  if (s.IsInvalidArgument()) return Fail(state, "bad-evidence-transcript", s.message());
  if (!s.ok()) return state->Error("evidence-serve: " + s.ToString());
  if (!wrong)
    return Fail(state, "bad-evidence-inference-correct",
                "relative L2 " + std::to_string(distance));
  return true;
}

}  // namespace

bool IsWrongWorkVerdict(const ValidationState& state) {
  static const std::set<std::string> kFromHashesAlone = {
      "bad-work-input-count", "bad-work-weights",      "bad-work-batch",
      "bad-work-input-hash",  "bad-work-output-count", "bad-work-loss"};
  return IsWorkersFault(state) && !kFromHashesAlone.contains(state.reason()) &&
         state.reason().rfind("bad-work-", 0) == 0;
}

std::vector<compute::TensorToFetch> EvidenceTensors(const WorkRecord& record,
                                                    const compute::Engine& engine) {
  const compute::StepPlan plan = engine.Plan(record.unit.step);
  const compute::PlannedUnit* unit = plan.Find(record.unit);
  if (unit == nullptr || unit->inputs.size() != record.inputs.size() ||
      unit->outputs.size() != record.outputs.size())
    return {};
  const uint64_t step = record.unit.step;
  std::vector<compute::TensorToFetch> out;
  for (size_t i = 0; i < unit->inputs.size(); ++i)
    if (unit->inputs[i].source.kind != compute::Source::Kind::kBatch)
      out.push_back({record.inputs[i], step, unit->inputs[i].slot.EncodingLength()});
  if (!OutputsAreRecomputed(record.unit.kind))
    for (size_t i = 0; i < unit->outputs.size(); ++i)
      out.push_back({record.outputs[i], step, unit->outputs[i].EncodingLength()});
  return out;
}

bool CheckFraudProofWork(const FraudProof& proof, const ConsensusState& parent,
                         const BlockContext& ctx, ValidationState* state) {
  BlockContext one_unit = ctx;
  one_unit.policy.sample = 1.0;
  return CheckEvidence(WrongWorkEvidence(proof.record), parent, one_unit, state);
}

bool CheckEvidence(const Evidence& evidence, const ConsensusState& state, const BlockContext& ctx,
                   ValidationState* out_state) {
  const Uint256 id = evidence.OffenceId();
  if (std::binary_search(state.offences.begin(), state.offences.end(), id))
    return Fail(out_state, "bad-slash-duplicate", id.ToHex());
  switch (evidence.kind) {
    case EvidenceKind::kDoubleProduction:
      return true;
    case EvidenceKind::kWrongWork:
      return CheckWrongWork(evidence.record, ctx, out_state);
    case EvidenceKind::kWrongInference:
      break;
  }
  return CheckWrongInference(evidence.inference, state, ctx, out_state);
}

}  // namespace cc
