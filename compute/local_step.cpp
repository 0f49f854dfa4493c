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

LocalStep::LocalStep(Engine* engine, const Dataset* dataset, uint64_t step)
    : engine_(engine), dataset_(dataset), plan_(engine->Plan(step)) {}

Status LocalStep::Batch(uint32_t lane, const EncodedBatch** out) {
  auto it = batches_.find(lane);
  if (it == batches_.end()) {
    EncodedBatch batch;
    Status s = LaneBatch(*dataset_, engine_->config(), plan_.step, lane, &batch);
    if (!s.ok()) return s;
    it = batches_.emplace(lane, std::move(batch)).first;
  }
  *out = &it->second;
  return Status::OK();
}

Status LocalStep::Inputs(const UnitId& id, std::vector<EncodedTensor>* tensors,
                         std::vector<Uint256>* hashes) {
  const PlannedUnit* unit = plan_.Find(id);
  if (unit == nullptr) return Status::InvalidArgument("unit not in plan: " + UnitName(id));
  tensors->clear();
  hashes->clear();
  for (const UnitInput& input : unit->inputs) {
    switch (input.source.kind) {
      case Source::Kind::kState: {
        EncodedTensor weights, state;
        Status s = engine_->ExportSection(id.section, &weights, &state);
        if (!s.ok()) return s;
        tensors->push_back(input.slot.role == TensorRole::kWeights ? std::move(weights)
                                                                   : std::move(state));
        break;
      }
      case Source::Kind::kBatch: {
        const EncodedBatch* batch = nullptr;
        Status s = Batch(id.lane, &batch);
        if (!s.ok()) return s;
        tensors->push_back(input.slot.role == TensorRole::kTokens    ? batch->inputs
                           : input.slot.role == TensorRole::kTargets ? batch->targets
                                                                     : batch->mask);
        break;
      }
      case Source::Kind::kUnit: {
        auto it = done_.find(input.source.unit);
        if (it == done_.end())
          return Status::NotFound(UnitName(input.source.unit) + " has not run");
        tensors->push_back(it->second.result.outputs[input.source.output]);
        hashes->push_back(it->second.hashes[input.source.output]);
        continue;
      }
    }
    hashes->push_back(tensors->back().Hash());
  }
  return Status::OK();
}

Status LocalStep::Run(const UnitId& id) {
  std::vector<EncodedTensor> inputs;
  std::vector<Uint256> input_hashes;
  Status s = Inputs(id, &inputs, &input_hashes);
  if (!s.ok()) return s;
  Done done;
  s = engine_->Execute(id, inputs, input_hashes, &done.result);
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
