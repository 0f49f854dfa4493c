#include "consensus/evidence.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "compute/local_step.h"

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
  for (size_t i = 0; i < record.outputs.size(); ++i) {
    const Status s = ctx.fetch(record.outputs[i], &claim.outputs[i]);
    if (!s.ok())
      return state->Invalid(ValidationResult::kMissingInputs, "work-tensor-missing",
                            "evidence " + name + " output " + record.outputs[i].ToHex());
  }
  // Fetched tensors come hash-checked and well formed (TensorFetcher), and
  // the batches matched their hashes above.
  claim.hashes_checked = true;
  ValidationState verdict;
  const Status s = ctx.engine->Verify(claim, record.inputs, &verdict);
  if (!s.ok()) return state->Error("evidence-verify: " + s.ToString());
  if (verdict.IsValid()) return Fail(state, "bad-evidence-work-correct", name);
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

std::vector<Uint256> EvidenceTensors(const WorkRecord& record, const compute::Engine& engine) {
  const compute::StepPlan plan = engine.Plan(record.unit.step);
  const compute::PlannedUnit* unit = plan.Find(record.unit);
  if (unit == nullptr || unit->inputs.size() != record.inputs.size()) return {};
  std::vector<Uint256> out;
  for (size_t i = 0; i < unit->inputs.size(); ++i)
    if (unit->inputs[i].source.kind != compute::Source::Kind::kBatch)
      out.push_back(record.inputs[i]);
  out.insert(out.end(), record.outputs.begin(), record.outputs.end());
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
  if (evidence.kind == EvidenceKind::kWrongWork)
    return CheckWrongWork(evidence.record, ctx, out_state);
  return true;
}

}  // namespace cc
