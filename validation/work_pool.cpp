#include "validation/work_pool.h"

#include <chrono>
#include <ctime>
#include <utility>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/logging.h"
#include "consensus/assembler.h"
#include "consensus/schedule.h"

namespace cc {
namespace {

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

bool Refuse(ValidationState* state, std::string reason) {
  return state->Invalid(ValidationResult::kPolicy, std::move(reason));
}

}  // namespace

WorkPool::WorkPool(const ChainParams& params, ChainManager* chainman, VerifiedRecords* verified,
                   WorkPoolOptions options)
    : params_(params), chainman_(chainman), verified_(verified), options_(std::move(options)) {}

WorkPool::~WorkPool() = default;

Status WorkPool::Create(const ChainParams& params, ChainManager* chainman,
                        VerifiedRecords* verified, WorkPoolOptions options,
                        std::unique_ptr<WorkPool>* out) {
  if (!options.engine_factory) return Status::InvalidArgument("no engine factory");
  std::unique_ptr<WorkPool> pool(new WorkPool(params, chainman, verified, std::move(options)));
  Status s = TrainingDataset(params, &pool->dataset_);
  if (s.ok())
    s = pool->options_.engine_factory(params.model, pool->options_.engine, &pool->engine_);
  if (!s.ok()) return s;
  {
    std::lock_guard<std::mutex> lock(pool->mu_);
    pool->Rebuild({}, UnixNow());
  }
  *out = std::move(pool);
  return Status::OK();
}

BlockContext WorkPool::Context() const {
  BlockContext ctx;
  ctx.params = &params_;
  ctx.engine = engine_.get();
  ctx.dataset = &dataset_;
  ctx.fetch = [this](const Uint256& h, compute::EncodedTensor* t) {
    return chainman_->GetTensor(h, t);
  };
  ctx.store = [this](const compute::EncodedTensor& t, const Uint256& hash, uint64_t step) {
    return chainman_->PutTensorHashed(t, hash, step);
  };
  ctx.policy = options_.policy;
  ctx.verified = [v = verified_](const Uint256& h) { return v->Contains(h); };
  ctx.now = UnixNow();
  return ctx;
}

bool WorkPool::AddLocked(const WorkRecord& record, int64_t now, ValidationState* state) {
  const Uint256 hash = record.Hash();
  const BlockContext ctx = Context();
  const auto start = std::chrono::steady_clock::now();
  const bool ok =
      CheckRecord(record, extended_, tip_.unit_order, plan_, now, ctx, resolver_.get(), state);
  check_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A unit done only by a pool record is not settled: the next block may
  // carry this record instead, or the pool's may leave on the next tip (its
  // unit order replaced when a block completes a step). Both may then wait.
  if (!ok && state->reason() == "bad-work-duplicate" && tip_.FindDone(record.unit) == nullptr) {
    *state = ValidationState();
    return Refuse(state, "work-pool-conflict");
  }
  if (!ok) return false;
  if ((OutputsAreRecomputed(record.unit.kind) || options_.policy.ShouldVerify(hash)) &&
      !verified_->Contains(hash)) {
    verified_->Add(hash);
    ++verified_count_;
  }
  AcceptRecord(record, tip_.height + 1, now, *engine_, &plan_, &extended_);
  step_ = extended_.step;
  Append(record, hash);
  return true;
}

void WorkPool::Append(const WorkRecord& record, const Uint256& hash) {
  std::lock_guard<std::mutex> lock(records_mu_);
  index_[hash] = records_.size();
  records_.push_back(record);
}

bool WorkPool::Accept(const WorkRecord& record, int64_t now, ValidationState* state) {
  const Uint256 hash = record.Hash();
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.contains(hash)) return Refuse(state, "work-already-known");
  if (penalised_.contains(record.worker)) return Refuse(state, "work-worker-penalised");
  if (records_.size() >= options_.max_records) return Refuse(state, "work-pool-full");
  if (!CheckRecordSignature(record, state)) return false;
  if (AddLocked(record, now, state)) {
    if (listener_) listener_();
    return true;
  }
  if (IsWorkersFault(*state)) {
    ++rejected_count_;
    penalised_.insert(record.worker);
    if (offences_.size() < kMaxPendingOffences) offences_.push_back(record);
    LogPrintf("WorkPool: worker " + HexStr(record.worker) +
              " penalised: " + compute::UnitName(record.unit) + " " + state->ToString());
  }
  return false;
}

Status WorkPool::Compute(const PrivateKey& worker, int64_t now, size_t max,
                         std::vector<WorkRecord>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  const BlockContext ctx = Context();
  const size_t first = out->size();
  for (size_t before = SIZE_MAX; out->size() != before && out->size() - first < max;) {
    before = out->size();
    if (records_.size() >= options_.max_records) break;
    Status s =
        ComputeAssigned(worker, tip_.unit_order, tip_.height + 1, now, ctx,
                        max - (out->size() - first), resolver_.get(), &plan_, &extended_, out);
    step_ = extended_.step;
    if (!s.ok()) return s;
    for (size_t i = before; i < out->size(); ++i) {
      const Uint256 hash = (*out)[i].Hash();
      verified_->Add(hash);  // computed here: as good as re-executed
      Append((*out)[i], hash);
    }
  }
  return Status::OK();
}

void WorkPool::Rebuild(std::vector<WorkRecord> first, int64_t now) {
  tip_ = chainman_->Tip();
  tip_step_ = tip_.step;
  extended_ = tip_;
  step_ = extended_.step;
  plan_ = engine_->Plan(extended_.step);
  resolver_ = std::make_unique<InputResolver>(params_, dataset_, Context().fetch);
  std::vector<WorkRecord> old = std::move(first);
  {
    std::lock_guard<std::mutex> lock(records_mu_);
    old.insert(old.end(), records_.begin(), records_.end());
    records_.clear();
    index_.clear();
  }
  for (const WorkRecord& record : old) {
    if (index_.contains(record.Hash())) continue;
    ValidationState ignored;  // carried by the block, reassigned, or built on one of those
    (void)AddLocked(record, now, &ignored);
  }
  if (listener_) listener_();
}

void WorkPool::BlockConnected(const Block&, uint32_t) {
  std::lock_guard<std::mutex> lock(mu_);
  Rebuild({}, UnixNow());
}

void WorkPool::BlockDisconnected(const Block& block, uint32_t) {
  std::lock_guard<std::mutex> lock(mu_);
  Rebuild(block.records, UnixNow());
}

bool WorkPool::MayEnterLater(const WorkRecord& record, const ValidationState& state) const {
  const std::string& reason = state.reason();
  if (reason == "bad-work-step") return record.unit.step > step_.load();
  if (reason == "bad-work-unassigned") return record.unit.step > tip_step_.load();
  return reason == "bad-work-not-ready" || reason == "work-pool-conflict";
}

bool WorkPool::CheckBeforeFetch(const WorkRecord& record, ValidationState* state,
                                std::vector<compute::TensorToFetch>* to_fetch) const {
  if (!CheckRecordSignature(record, state)) return false;
  const std::string name = compute::UnitName(record.unit);
  if (record.unit.step < tip_step_.load())
    return state->Invalid(ValidationResult::kConsensus, "bad-work-step", name);
  std::lock_guard<std::mutex> lock(mu_);
  const compute::PlannedUnit* unit = plan_.FindIgnoringStep(record.unit);
  if (unit == nullptr) return state->Invalid(ValidationResult::kConsensus, "bad-work-unit", name);
  if (record.inputs.size() != unit->inputs.size())
    return state->Invalid(ValidationResult::kConsensus, "bad-work-input-count", name);
  if (record.outputs.size() != unit->outputs.size())
    return state->Invalid(ValidationResult::kConsensus, "bad-work-output-count", name);
  to_fetch->clear();
  if (!OutputsAreRecomputed(record.unit.kind))
    for (size_t i = 0; i < unit->outputs.size(); ++i)
      to_fetch->push_back(
          {record.outputs[i], record.unit.step, unit->outputs[i].EncodingLength()});
  return true;
}

void WorkPool::SetListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
}

std::vector<WorkRecord> WorkPool::TakeOffences() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::exchange(offences_, {});
}

std::vector<WorkRecord> WorkPool::Records() const {
  std::lock_guard<std::mutex> lock(records_mu_);
  return records_;
}

bool WorkPool::Get(const Uint256& hash, WorkRecord* out) const {
  std::lock_guard<std::mutex> lock(records_mu_);
  auto it = index_.find(hash);
  if (it == index_.end()) return false;
  *out = records_[it->second];
  return true;
}

bool WorkPool::Contains(const Uint256& hash) const {
  std::lock_guard<std::mutex> lock(records_mu_);
  return index_.contains(hash);
}

ConsensusState WorkPool::ExtendedTip() const {
  std::lock_guard<std::mutex> lock(mu_);
  return extended_;
}

WorkPoolInfo WorkPool::Info() const {
  std::lock_guard<std::mutex> lock(mu_);
  WorkPoolInfo info;
  info.records = records_.size();
  info.step = extended_.step;
  info.step_done = extended_.done.size();
  info.step_units = plan_.units.size();
  info.last_loss = extended_.last_loss;
  info.state_root = extended_.StateRoot();
  info.verified = verified_count_;
  info.rejected = rejected_count_;
  info.check_seconds = check_seconds_;
  info.penalised.assign(penalised_.begin(), penalised_.end());
  return info;
}

}  // namespace cc
