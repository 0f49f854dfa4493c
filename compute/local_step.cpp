#include "compute/local_step.h"

#include <algorithm>
#include <atomic>

#include "chain/hash.h"

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
    : LocalStep(engine, dataset, step, Options{}) {}

LocalStep::LocalStep(Engine* engine, const Dataset* dataset, uint64_t step, Options options)
    : engine_(engine),
      dataset_(dataset),
      plan_(engine->Plan(step)),
      options_(options),
      batches_(*dataset, engine->config()) {}

LocalStep::~LocalStep() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (hasher_.joinable()) hasher_.join();
}

namespace {

// Every unit run in the process gets the next number, so that an output
// can be named before it is hashed (RunOutputId) and a unit run again
// names its new outputs differently.
std::atomic<uint64_t> next_run{1};

// The id Execute gets for output `output` of run `run` before its hash is
// known: Engine::Execute asks only that equal ids mean equal bytes, which
// (run, output) gives within the process, and a saved forward graph never
// leaves it.
Uint256 RunOutputId(uint64_t run, size_t output) {
  uint8_t bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(run >> (8 * i));
    bytes[8 + i] = static_cast<uint8_t>(static_cast<uint64_t>(output) >> (8 * i));
  }
  return TaggedHash("computecoin/local-step-output", ByteSpan(bytes, sizeof(bytes)));
}

}  // namespace

// The background hasher: hashes queued units' outputs in order. No unit
// waits for it (ExecuteIds); only claims and Commit do.
void LocalStep::HashLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !hash_queue_.empty(); });
    if (stopping_) return;
    Done* done = hash_queue_.front();
    lock.unlock();
    std::vector<Uint256> hashes;  // the outputs stay put until hashed (Store, Commit wait)
    for (const EncodedTensor& t : done->result.outputs) hashes.push_back(t.Hash());
    lock.lock();
    done->hashes = std::move(hashes);
    done->hashed = true;
    hash_queue_.pop_front();
    cv_.notify_all();
  }
}

void LocalStep::WaitHashed(const Done& done, std::unique_lock<std::mutex>& lock) const {
  cv_.wait(lock, [&] { return done.hashed; });
}

Status LocalStep::FixedInput(const UnitId& id, const UnitInput& input, Fixed** out) {
  if (committed_) return Status::InvalidArgument("the step is committed: its state is gone");
  const FixedKey key{id.section, input.slot.role};
  auto it = fixed_.find(key);
  if (it == fixed_.end()) {
    const EncodedTensor *weights = nullptr, *optimizer_state = nullptr;
    Uint256 hashes[2];
    Status s = engine_->ViewSection(id.section, &weights, &optimizer_state, hashes);
    if (!s.ok()) return s;
    const bool is_weights = input.slot.role == TensorRole::kWeights;
    it = fixed_
             .emplace(key, Fixed{is_weights ? weights : optimizer_state,
                                 is_weights ? hashes[0] : hashes[1]})
             .first;
  }
  *out = &it->second;
  return Status::OK();
}

Status LocalStep::Resolve(const UnitId& id, Resolved* out) {
  const PlannedUnit* unit = plan_.Find(id);
  if (unit == nullptr) return Status::InvalidArgument("unit not in plan: " + UnitName(id));
  *out = Resolved{};
  for (const UnitInput& input : unit->inputs) {
    if (input.source.kind == Source::Kind::kUnit) {
      auto it = done_.find(input.source.unit);
      if (it == done_.end()) return Status::NotFound(UnitName(input.source.unit) + " has not run");
      out->tensors.push_back(&it->second.result.outputs[input.source.output]);
      out->hashes.push_back(nullptr);  // the hasher may not have made it yet
      out->pending.emplace_back(&it->second, input.source.output);
      continue;
    }
    if (input.source.kind == Source::Kind::kBatch) {
      EncodedTensor* tensor = nullptr;
      const Uint256* hash = nullptr;
      Status s = batches_.Get(plan_.step, id.lane, input.slot.role, &tensor, &hash);
      if (!s.ok()) return s;
      out->tensors.push_back(tensor);
      out->hashes.push_back(hash);
      out->pending.emplace_back(nullptr, 0);
      continue;
    }
    Fixed* fixed = nullptr;
    Status s = FixedInput(id, input, &fixed);
    if (!s.ok()) return s;
    out->tensors.push_back(fixed->tensor);
    out->hashes.push_back(&fixed->hash);
    out->pending.emplace_back(nullptr, 0);
  }
  return Status::OK();
}

std::vector<Uint256> LocalStep::ExecuteIds(const UnitId& id, const Resolved& in) const {
  // Only FORWARD and BACKWARD use input ids in Execute (the digest of a
  // saved forward graph); the others run without them.
  if (id.kind != UnitKind::kForward && id.kind != UnitKind::kBackward) return {};
  std::vector<Uint256> ids;
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const auto& [done, output] = in.pending[i];
    ids.push_back(done == nullptr ? *in.hashes[i] : RunOutputId(done->run, output));
  }
  return ids;
}

Status LocalStep::Execute(const UnitId& id, const Resolved& in, std::vector<Uint256> ids) {
  UnitResult result;
  Status s = engine_->Execute(id, in.tensors, ids, &result);
  if (!s.ok()) return Status::InvalidArgument(UnitName(id) + ": " + s.ToString());
  Store(id, std::move(result));
  return Status::OK();
}

void LocalStep::Store(const UnitId& id, UnitResult result) {
  const bool background = options_.hash_in_background;
  std::vector<Uint256> hashes;
  if (!background) {
    for (const EncodedTensor& t : result.outputs) hashes.push_back(t.Hash());
  }
  std::unique_lock<std::mutex> lock(mu_);
  auto it = done_.find(id);
  if (it != done_.end()) {
    // Run again: let the hasher finish with the old outputs first.
    WaitHashed(it->second, lock);
  } else {
    it = done_.emplace(id, Done{}).first;
  }
  Done& done = it->second;
  done.result = std::move(result);
  done.run = next_run++;
  if (background) {
    done.hashed = false;
    hash_queue_.push_back(&done);
    if (!hasher_.joinable()) hasher_ = std::thread([this] { HashLoop(); });  // on first use
  } else {
    done.hashes = std::move(hashes);
    done.hashed = true;
  }
  cv_.notify_all();
}

Status LocalStep::Claim(const UnitId& unit, WorkClaim* out) {
  WorkClaim claim;
  claim.unit = unit;
  Status s = Inputs(unit, &claim.inputs, &claim.input_hashes);
  if (!s.ok()) return s;
  const UnitResult* result = Result(unit);
  const std::vector<Uint256>* hashes = OutputHashes(unit);
  if (result == nullptr || hashes == nullptr ||
      result->outputs.size() != hashes->size())
    return Status::NotFound(UnitName(unit) + " has not run, or its outputs were committed");
  claim.outputs = result->outputs;
  claim.output_hashes = *hashes;
  claim.loss = result->loss;
  *out = std::move(claim);
  return Status::OK();
}

Status LocalStep::Inputs(const UnitId& id, std::vector<EncodedTensor>* tensors,
                         std::vector<Uint256>* hashes) {
  std::unique_lock<std::mutex> lock(mu_);
  Resolved in;
  Status s = Resolve(id, &in);
  if (!s.ok()) return s;
  tensors->clear();
  hashes->clear();
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const auto& [done, output] = in.pending[i];
    if (done != nullptr) WaitHashed(*done, lock);
    tensors->push_back(*in.tensors[i]);
    hashes->push_back(done == nullptr ? *in.hashes[i] : done->hashes[output]);
  }
  return Status::OK();
}

Status LocalStep::Run(const UnitId& id) {
  std::unique_lock<std::mutex> lock(mu_);
  Resolved in;
  Status s = Resolve(id, &in);
  if (!s.ok()) return s;
  std::vector<Uint256> ids = ExecuteIds(id, in);
  lock.unlock();
  return Execute(id, in, std::move(ids));
}

Status LocalStep::RunAll() {
  if (options_.threads > 1) return RunParallel();
  for (const PlannedUnit& unit : plan_.units) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_.count(unit.id) != 0) continue;
    }
    Status s = Run(unit.id);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// options_.threads workers, each taking the first unit in plan order whose
// dependencies have run. Each unit computes on one intra-op thread, so its
// outputs are those of a sequential run on one thread, bit for bit.
Status LocalStep::RunParallel() {
  struct Pending {
    const PlannedUnit* unit;
    std::vector<UnitId> deps;
  };
  std::vector<Pending> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const PlannedUnit& unit : plan_.units) {
      if (done_.count(unit.id) == 0) pending.push_back({&unit, unit.Dependencies()});
    }
  }
  Status error;
  int running = 0;
  auto worker = [&] {
    engine_->SetCallerThreads(1);
    std::unique_lock<std::mutex> lock(mu_);
    while (error.ok() && !pending.empty()) {
      auto ready = std::find_if(pending.begin(), pending.end(), [&](const Pending& p) {
        return std::all_of(p.deps.begin(), p.deps.end(),
                           [&](const UnitId& d) { return done_.count(d) != 0; });
      });
      if (ready == pending.end()) {
        if (running == 0) {
          error = Status::InvalidArgument("no unit of the plan is ready");  // a bad plan
          break;
        }
        cv_.wait(lock);
        continue;
      }
      const UnitId id = ready->unit->id;
      pending.erase(ready);
      ++running;
      Resolved in;
      Status s = Resolve(id, &in);
      std::vector<Uint256> ids;
      if (s.ok()) ids = ExecuteIds(id, in);
      lock.unlock();
      if (s.ok()) s = Execute(id, in, std::move(ids));
      lock.lock();
      --running;
      if (!s.ok() && error.ok()) error = s;
      cv_.notify_all();
    }
    cv_.notify_all();
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.threads; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  return error;
}

Status LocalStep::Commit() {
  std::unique_lock<std::mutex> lock(mu_);
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind != UnitKind::kUpdate) continue;
    if (done_.count(unit.id) == 0) return Status::NotFound(UnitName(unit.id) + " has not run");
  }
  // The engine's state tensors this step reads in place are replaced below.
  fixed_.clear();
  committed_ = true;
  for (const PlannedUnit& unit : plan_.units) {
    if (unit.id.kind != UnitKind::kUpdate) continue;
    Done& done = done_.at(unit.id);
    WaitHashed(done, lock);
    const Uint256 hashes[2] = {done.hashes[0], done.hashes[1]};
    Status s = engine_->ImportSectionHashed(unit.id.section, std::move(done.result.outputs[0]),
                                            std::move(done.result.outputs[1]), hashes);
    if (!s.ok()) return s;
    done.result.outputs.clear();
  }
  return Status::OK();
}

const UnitResult* LocalStep::Result(const UnitId& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = done_.find(id);
  return it == done_.end() ? nullptr : &it->second.result;
}

const std::vector<Uint256>* LocalStep::OutputHashes(const UnitId& id) const {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = done_.find(id);
  if (it == done_.end()) return nullptr;
  WaitHashed(it->second, lock);
  return &it->second.hashes;
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
