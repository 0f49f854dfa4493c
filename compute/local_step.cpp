#include "compute/local_step.h"

namespace cc::compute {

Status LaneBatch(const Dataset& dataset, const ModelConfig& config, uint64_t step, uint32_t lane,
                 EncodedBatch* out) {
  Batch batch;
  Status s =
      dataset.MakeBatch(BatchSpec{config.seed, step, lane, config.batch, config.context}, &batch);
  if (!s.ok()) return s;
  *out = EncodeBatch(batch);
  return Status::OK();
}

Status LaneBatches::Get(uint64_t step, uint32_t lane, TensorRole role, EncodedTensor** tensor,
                        const Uint256** hash) {
  int index = 0;
  switch (role) {
    case TensorRole::kTokens:
      index = 0;
      break;
    case TensorRole::kTargets:
      index = 1;
      break;
    case TensorRole::kLossMask:
      index = 2;
      break;
    default:
      return Status::InvalidArgument("not a batch role");
  }
  const auto key = std::make_pair(step, lane);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    EncodedBatch batch;
    Status s = LaneBatch(dataset_, config_, step, lane, &batch);
    if (!s.ok()) return s;
    Entry entry;
    entry.tensors[0] = std::move(batch.inputs);
    entry.tensors[1] = std::move(batch.targets);
    entry.tensors[2] = std::move(batch.mask);
    for (int i = 0; i < 3; ++i) entry.hashes[i] = entry.tensors[i].Hash();
    it = entries_.emplace(key, std::move(entry)).first;
  }
  *tensor = &it->second.tensors[index];
  *hash = &it->second.hashes[index];
  return Status::OK();
}

LocalStep::LocalStep(Engine* engine, const Dataset* dataset, uint64_t step)
    : engine_(engine),
      dataset_(dataset),
      plan_(engine->Plan(step)),
      batches_(*dataset, engine->config()) {}

Status LocalStep::FixedInput(const UnitId& id, const UnitInput& input, Fixed** out) {
  const FixedKey key{id.section, input.slot.role};
  auto it = fixed_.find(key);
  if (it == fixed_.end()) {
    EncodedTensor weights, optimizer_state;
    Status s = engine_->ExportSection(id.section, &weights, &optimizer_state);
    if (!s.ok()) return s;
    Fixed fixed;
    fixed.tensor =
        input.slot.role == TensorRole::kWeights ? std::move(weights) : std::move(optimizer_state);
    fixed.hash = fixed.tensor.Hash();
    it = fixed_.emplace(key, std::move(fixed)).first;
  }
  *out = &it->second;
  return Status::OK();
}

Status LocalStep::Resolve(const UnitId& id, std::vector<EncodedTensor*>* tensors,
                          std::vector<Uint256>* hashes) {
  const PlannedUnit* unit = plan_.Find(id);
  if (unit == nullptr) return Status::InvalidArgument("unit not in plan: " + UnitName(id));
  tensors->clear();
  hashes->clear();
  for (const UnitInput& input : unit->inputs) {
    if (input.source.kind == Source::Kind::kUnit) {
      auto it = done_.find(input.source.unit);
      if (it == done_.end()) return Status::NotFound(UnitName(input.source.unit) + " has not run");
      tensors->push_back(&it->second.result.outputs[input.source.output]);
      hashes->push_back(it->second.hashes[input.source.output]);
      continue;
    }
    if (input.source.kind == Source::Kind::kBatch) {
      EncodedTensor* tensor = nullptr;
      const Uint256* hash = nullptr;
      Status s = batches_.Get(plan_.step, id.lane, input.slot.role, &tensor, &hash);
      if (!s.ok()) return s;
      tensors->push_back(tensor);
      hashes->push_back(*hash);
      continue;
    }
    Fixed* fixed = nullptr;
    Status s = FixedInput(id, input, &fixed);
    if (!s.ok()) return s;
    tensors->push_back(&fixed->tensor);
    hashes->push_back(fixed->hash);
  }
  return Status::OK();
}

Status LocalStep::Inputs(const UnitId& id, std::vector<EncodedTensor>* tensors,
                         std::vector<Uint256>* hashes) {
  std::vector<EncodedTensor*> stored;
  Status s = Resolve(id, &stored, hashes);
  if (!s.ok()) return s;
  tensors->clear();
  for (const EncodedTensor* t : stored) tensors->push_back(*t);
  return Status::OK();
}

Status LocalStep::Run(const UnitId& id) {
  std::vector<EncodedTensor*> stored;
  std::vector<Uint256> hashes;
  Status s = Resolve(id, &stored, &hashes);
  if (!s.ok()) return s;
  // The stored tensors are lent to Execute, not copied (a section's weights
  // are read by every stage of every lane), and put back afterwards. A plan
  // never names one tensor twice as inputs of a unit (plan_test).
  std::vector<EncodedTensor> lent;
  for (EncodedTensor* t : stored) lent.push_back(std::move(*t));
  Done done;
  s = engine_->Execute(id, lent, hashes, &done.result);
  for (size_t i = 0; i < stored.size(); ++i) *stored[i] = std::move(lent[i]);
  if (!s.ok()) return Status::InvalidArgument(UnitName(id) + ": " + s.ToString());
  for (const EncodedTensor& t : done.result.outputs) done.hashes.push_back(t.Hash());
  done_[id] = std::move(done);
  return Status::OK();
}

Status LocalStep::RunAll() {
  for (const PlannedUnit& unit : plan_.units) {
    if (done_.count(unit.id) != 0) continue;
    Status s = Run(unit.id);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status LocalStep::Commit() {
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind != UnitKind::kUpdate) continue;
    const UnitResult* result = Result(unit.id);
    if (result == nullptr) return Status::NotFound(UnitName(unit.id) + " has not run");
    Status s = engine_->ImportSection(unit.id.section, result->outputs[0], result->outputs[1]);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

const UnitResult* LocalStep::Result(const UnitId& id) const {
  auto it = done_.find(id);
  return it == done_.end() ? nullptr : &it->second.result;
}

const std::vector<Uint256>* LocalStep::OutputHashes(const UnitId& id) const {
  auto it = done_.find(id);
  return it == done_.end() ? nullptr : &it->second.hashes;
}

float LocalStep::Loss() const {
  double sum = 0;
  for (const PlannedUnit& unit : plan_.units) {
    if (!unit.has_loss) continue;
    if (const UnitResult* result = Result(unit.id)) sum += result->loss;
  }
  return static_cast<float>(sum / engine_->config().lanes);
}

}  // namespace cc::compute
