#include "compute/engine.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "chain/hash.h"
#include "chain/merkle.h"
#include "compute/reference_backend.h"
#include "compute/update.h"

namespace cc::compute {

Uint256 StateLeaf(uint32_t section, const Uint256& weights_hash,
                  const Uint256& optimizer_state_hash) {
  uint8_t section_le[4];
  std::memcpy(section_le, &section, 4);  // serialize.h: little-endian hosts only
  return Sha256::Tagged(tags::kStateLeaf)
      .Write(section_le)
      .Write(weights_hash.span())
      .Write(optimizer_state_hash.span())
      .Finalize();
}

Status Engine::Execute(const UnitId& unit, std::span<const EncodedTensor> inputs,
                       std::span<const Uint256> input_hashes, UnitResult* out) {
  std::vector<const EncodedTensor*> views;
  views.reserve(inputs.size());
  for (const EncodedTensor& t : inputs) views.push_back(&t);
  return Execute(unit, std::span<const EncodedTensor* const>(views), input_hashes, out);
}

namespace {

std::string Format(const char* fmt, double a, double b) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), fmt, a, b);
  return buf;
}

// OK if `t` has the codec, shape and payload length `slot` calls for.
Status CheckLayout(const EncodedTensor& t, const TensorSlot& slot) {
  if (t.codec != slot.codec) return Status::InvalidArgument("wrong codec");
  if (t.shape != slot.shape) return Status::InvalidArgument("wrong shape");
  if (t.payload.size() != PayloadLength(t.codec, t.shape))
    return Status::InvalidArgument("wrong payload length");
  return Status::OK();
}

bool IsNarrow(Codec codec) { return codec == Codec::kBFloat16 || codec == Codec::kInt8Rows; }

// Backends compute in fp32 (Backend::Run): inputs committed in a narrower
// codec (ModelConfig::stream_codec) are decoded to fp32 copies in *storage,
// the others passed through as they are, into *wide. InvalidArgument for
// one that does not decode (a non-finite value), as the backend refuses a
// non-finite result.
Status Widen(std::span<const EncodedTensor* const> inputs, std::vector<EncodedTensor>* storage,
             std::vector<const EncodedTensor*>* wide) {
  storage->clear();
  storage->reserve(inputs.size());  // no reallocation: the pointers below stay valid
  wide->assign(inputs.begin(), inputs.end());
  for (size_t i = 0; i < wide->size(); ++i) {
    const EncodedTensor*& t = (*wide)[i];
    if (!IsNarrow(t->codec)) continue;
    std::vector<float> values;
    if (Status s = DecodeFloats(*t, &values); !s.ok())
      return Status::InvalidArgument("input " + std::to_string(i) + ": " + s.message());
    storage->push_back(EncodeFloats(values, t->shape, Codec::kFloat32));
    t = &storage->back();
  }
  return Status::OK();
}

// Rounds a backend's fp32 outputs to the codecs their slots commit.
Status Narrow(const PlannedUnit& unit, UnitResult* out) {
  for (size_t i = 0; i < out->outputs.size() && i < unit.outputs.size(); ++i) {
    EncodedTensor& t = out->outputs[i];
    if (!IsNarrow(unit.outputs[i].codec) || t.codec != Codec::kFloat32) continue;
    std::vector<float> values;
    Status s = DecodeFloats(t, &values);
    if (!s.ok()) return s;
    t = EncodeFloats(values, t.shape, unit.outputs[i].codec);
  }
  return Status::OK();
}

// OK if `t` is well formed (tensor.h, values included) and fits `slot`.
Status CheckSlot(const EncodedTensor& t, const TensorSlot& slot) {
  Status s = CheckEncoding(t);
  if (!s.ok()) return s;
  return CheckLayout(t, slot);
}

// One background thread running one job at a time for its owner: Start
// hands it a job, Wait returns when the job is done. Started on first use.
class Helper {
 public:
  Helper() = default;
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  ~Helper() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Start(std::function<void()> job) {
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    std::lock_guard<std::mutex> lock(mu_);
    job_ = std::move(job);
    busy_ = true;
    cv_.notify_all();
  }

  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !busy_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || busy_; });
      if (stop_) return;
      std::function<void()> job = std::move(job_);
      lock.unlock();
      job();
      lock.lock();
      busy_ = false;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;  // GUARDED_BY(mu_)
  bool busy_ = false;          // GUARDED_BY(mu_)
  bool stop_ = false;          // GUARDED_BY(mu_)
  std::thread thread_;
};

class StepEngine final : public Engine {
 public:
  StepEngine(const ModelConfig& config, Partition partition, std::unique_ptr<Backend> backend,
             const EngineOptions& options)
      : config_(config),
        partition_(std::move(partition)),
        backend_(std::move(backend)),
        verify_hash_beside_bytes_(options.verify_hash_beside_bytes),
        perturb_outputs_(options.perturb_outputs),
        adversary_(options.adversary),
        adversary_share_(options.adversary_share),
        arbiter_band_(options.arbiter_band),
        reference_(config_, partition_),
        template_(BuildStepPlan(config_, partition_, 0)) {
    for (size_t i = 0; i < template_.units.size(); ++i) index_[template_.units[i].id] = i;
    const ParamValues initial = InitialParams(config_);
    for (const Section& section : partition_.sections) {
      SectionState state;
      const std::vector<float> w = GatherSection(config_, section, initial);
      state.weights = EncodeFloats(w, std::vector<uint64_t>{section.num_params}, Codec::kFloat32);
      state.optimizer_state = InitialOptimizerState(section.num_params);
      sections_.push_back(std::move(state));
    }
  }

  const ModelConfig& config() const override { return config_; }
  const Partition& partition() const override { return partition_; }

  StepPlan Plan(uint64_t step) const override {
    StepPlan plan = template_;
    plan.step = step;
    for (PlannedUnit& unit : plan.units) {
      unit.id.step = step;
      for (UnitInput& input : unit.inputs) {
        if (input.source.kind == Source::Kind::kUnit) input.source.unit.step = step;
      }
    }
    return plan;
  }

  using Engine::Execute;
  Status Execute(const UnitId& id, std::span<const EncodedTensor* const> inputs,
                 std::span<const Uint256> input_hashes, UnitResult* out) override {
    const PlannedUnit* planned = Find(id);
    if (planned == nullptr) return Status::InvalidArgument("unit not in plan: " + UnitName(id));
    if (inputs.size() != planned->inputs.size())
      return Status::InvalidArgument("wrong number of inputs");
    if (!input_hashes.empty() && input_hashes.size() != inputs.size()) {
      return Status::InvalidArgument("wrong number of input hashes");
    }
    // Layout only: a non-finite input value gives a non-finite output, which
    // Run refuses to encode, so the values need no scan of their own here.
    for (size_t i = 0; i < inputs.size(); ++i) {
      Status s = CheckLayout(*inputs[i], planned->inputs[i].slot);
      if (!s.ok())
        return Status::InvalidArgument("input " + std::to_string(i) + ": " + s.message());
    }
    const PlannedUnit unit = Stamped(*planned, id.step);
    Status s;
    if (input_hashes.empty()) {
      s = Run(unit, inputs, nullptr, out);
    } else {
      const Uint256 digest = ForwardDigest(unit, input_hashes);
      s = Run(unit, inputs, &digest, out);
    }
    if (s.ok() && perturb_outputs_ != 0.0) s = Perturb(unit, out);
    if (s.ok() && adversary_ != EngineOptions::Adversary::kNone) s = Steer(unit, out);
    return s;
  }

  Status Verify(const WorkClaim& claim, std::span<const Uint256> expected_inputs,
                ValidationState* verdict) override {
    *verdict = ValidationState{};
    auto reject = [verdict](std::string reason, std::string detail) {
      verdict->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(detail));
      return Status::OK();
    };
    const PlannedUnit* planned = Find(claim.unit);
    if (planned == nullptr) return reject("bad-work-unit", UnitName(claim.unit));
    const PlannedUnit unit = Stamped(*planned, claim.unit.step);
    const size_t n_in = unit.inputs.size(), n_out = unit.outputs.size();
    if (expected_inputs.size() != n_in)
      return Status::InvalidArgument("expected inputs do not match the plan");
    if (!CheckClaimHead(unit, claim, claim.outputs.size(), expected_inputs, verdict))
      return Status::OK();
    // Each tensor's encoding (values included) and, unless the caller did
    // it, its hash. Re-execution needs only the layouts (codec, shape,
    // length): when every tensor has its slot's and there is much to hash,
    // these checks run on a helper thread while the unit re-executes — the
    // verdict is the same, the checks' reasons still come first and in the
    // order listed.
    struct TensorCheck {
      Status slot;
      bool hash_ok = true;
    };
    std::vector<TensorCheck> in_checks(n_in), out_checks(n_out);
    // Tensors the caller vouches for were decoded, values included, where
    // it checked their hashes (a TensorStore's Get): only their layout is
    // left to check, and a second value scan would cost a verifier of a short
    // unit (ATTENTION: ~0.8 MB of q|k|v for 0.5 ms of work) more than its
    // worker paid (doc/benchmarks.md).
    auto check_slot = [&](const EncodedTensor& t, const TensorSlot& slot) {
      return claim.hashes_checked ? CheckLayout(t, slot) : CheckSlot(t, slot);
    };
    auto check_tensors = [&] {
      for (size_t i = 0; i < n_in; ++i) {
        in_checks[i].slot = check_slot(claim.inputs[i], unit.inputs[i].slot);
        in_checks[i].hash_ok = !in_checks[i].slot.ok() || claim.hashes_checked ||
                               claim.inputs[i].Hash() == claim.input_hashes[i];
      }
      for (size_t i = 0; i < n_out; ++i) {
        out_checks[i].slot = check_slot(claim.outputs[i], unit.outputs[i]);
        out_checks[i].hash_ok = !out_checks[i].slot.ok() || claim.hashes_checked ||
                                claim.outputs[i].Hash() == claim.output_hashes[i];
      }
    };
    bool layouts_ok = true;
    for (size_t i = 0; i < n_in && layouts_ok; ++i)
      layouts_ok = CheckLayout(claim.inputs[i], unit.inputs[i].slot).ok();
    for (size_t i = 0; i < n_out && layouts_ok; ++i)
      layouts_ok = CheckLayout(claim.outputs[i], unit.outputs[i]).ok();

    // Re-execute without any saved state, as a verifier holds only committed tensors.
    std::vector<const EncodedTensor*> inputs;
    for (const EncodedTensor& t : claim.inputs) inputs.push_back(&t);
    UnitResult honest;
    Status s;
    // Handing the checks to the helper pays only when they are long — the
    // tensors are to be hashed, not just scanned (a scan runs at memory
    // speed), and there are enough bytes — and a core is free to take them
    // (EngineOptions::verify_hash_beside_bytes).
    size_t bytes = 0;
    for (const EncodedTensor& t : claim.inputs) bytes += t.payload.size();
    for (const EncodedTensor& t : claim.outputs) bytes += t.payload.size();
    const bool beside = verify_hash_beside_bytes_ != 0 && layouts_ok && !claim.hashes_checked &&
                        bytes >= verify_hash_beside_bytes_;
    if (beside) {
      helper_.Start(check_tensors);
      s = Run(unit, inputs, nullptr, &honest);
      helper_.Wait();
    } else {
      // Check first, and run only a claim whose tensors all pass.
      check_tensors();
      bool all_ok = layouts_ok;
      for (const TensorCheck& c : in_checks) all_ok = all_ok && c.slot.ok() && c.hash_ok;
      for (const TensorCheck& c : out_checks) all_ok = all_ok && c.slot.ok() && c.hash_ok;
      if (all_ok) s = Run(unit, inputs, nullptr, &honest);
    }
    for (size_t i = 0; i < n_in; ++i) {
      if (!in_checks[i].slot.ok()) {
        return reject("bad-work-malformed-tensor",
                      "input " + std::to_string(i) + ": " + in_checks[i].slot.message());
      }
      if (!in_checks[i].hash_ok) {
        return reject("bad-work-input-hash",
                      "input " + std::to_string(i) + " does not hash to its id");
      }
    }
    for (size_t i = 0; i < n_out; ++i) {
      if (!out_checks[i].slot.ok()) {
        return reject("bad-work-malformed-tensor",
                      "output " + std::to_string(i) + ": " + out_checks[i].slot.message());
      }
      if (!out_checks[i].hash_ok) {
        return reject("bad-work-output-hash",
                      "output " + std::to_string(i) + " does not hash to its id");
      }
    }
    if (!layouts_ok) return Status::InvalidArgument("layout check disagrees with CheckSlot");
    if (s.IsInvalidArgument()) {
      // The committed inputs lead to non-finite values: no finite claim can be right.
      return reject("bad-work-output-mismatch", s.message());
    }
    if (!s.ok()) return s;
    return Decide(unit, inputs, claim, honest, verdict);
  }

  Status Recompute(const WorkClaim& claim, std::span<const Uint256> expected_inputs,
                   ValidationState* verdict, UnitResult* out) override {
    *verdict = ValidationState{};
    const PlannedUnit* planned = Find(claim.unit);
    if (planned == nullptr || claim.unit.kind != UnitKind::kUpdate)
      return Status::InvalidArgument("only UPDATE units are recomputed: " + UnitName(claim.unit));
    const PlannedUnit unit = Stamped(*planned, claim.unit.step);
    if (expected_inputs.size() != unit.inputs.size())
      return Status::InvalidArgument("expected inputs do not match the plan");
    if (!CheckClaimHead(unit, claim, unit.outputs.size(), expected_inputs, verdict))
      return Status::OK();
    auto reject = [verdict](std::string reason, std::string detail) {
      verdict->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(detail));
      return Status::OK();
    };
    for (size_t i = 0; i < unit.inputs.size(); ++i) {
      const EncodedTensor& t = claim.inputs[i];
      const Status s = claim.hashes_checked ? CheckLayout(t, unit.inputs[i].slot)
                                            : CheckSlot(t, unit.inputs[i].slot);
      if (!s.ok())
        return reject("bad-work-malformed-tensor", "input " + std::to_string(i) + ": " + s.message());
      if (!claim.hashes_checked && t.Hash() != claim.input_hashes[i])
        return reject("bad-work-input-hash",
                      "input " + std::to_string(i) + " does not hash to its id");
    }
    std::vector<const EncodedTensor*> inputs;
    for (const EncodedTensor& t : claim.inputs) inputs.push_back(&t);
    Status s = RunUpdate(config_, unit, inputs, out);
    // The committed inputs lead to non-finite values: no output can be right.
    if (s.IsInvalidArgument()) return reject("bad-work-output-mismatch", s.message());
    if (!s.ok()) return s;
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const Uint256 hash = out->outputs[i].Hash();
      if (hash != claim.output_hashes[i])
        return reject("bad-work-output-mismatch", "output " + std::to_string(i) +
                                                      ": UPDATE is bit-exact, and this "
                                                      "recomputes to " +
                                                      hash.ToHex());
    }
    return Status::OK();
  }

  uint64_t ArbiterRuns() const override { return arbiter_runs_.load(std::memory_order_relaxed); }

  Uint256 StateRoot() const override {
    std::vector<Uint256> leaves;
    for (uint32_t s = 0; s < sections_.size(); ++s) {
      leaves.push_back(sections_[s].Leaf(s));
    }
    return MerkleRoot(leaves);
  }

  Status ExportSection(uint32_t section, EncodedTensor* weights,
                       EncodedTensor* optimizer_state) const override {
    if (section >= sections_.size()) return Status::InvalidArgument("no such section");
    *weights = sections_[section].weights;
    *optimizer_state = sections_[section].optimizer_state;
    return Status::OK();
  }

  Status ImportSection(uint32_t section, const EncodedTensor& weights,
                       const EncodedTensor& optimizer_state) override {
    if (section >= sections_.size()) return Status::InvalidArgument("no such section");
    const PlannedUnit* update = Find(UnitId{UnitKind::kUpdate, 0, 0, section, 0, 0, 0});
    Status s = CheckSlot(weights, update->outputs[0]);
    if (s.ok()) s = CheckSlot(optimizer_state, update->outputs[1]);
    if (!s.ok())
      return Status::InvalidArgument("section " + std::to_string(section) + ": " + s.message());
    sections_[section].weights = weights;
    sections_[section].optimizer_state = optimizer_state;
    sections_[section].weights_hash.reset();
    sections_[section].optimizer_state_hash.reset();
    sections_[section].leaf.reset();
    return Status::OK();
  }

  Status ViewSection(uint32_t section, const EncodedTensor** weights,
                     const EncodedTensor** optimizer_state, Uint256 hashes[2]) const override {
    if (section >= sections_.size()) return Status::InvalidArgument("no such section");
    const SectionState& state = sections_[section];
    *weights = &state.weights;
    *optimizer_state = &state.optimizer_state;
    hashes[0] = state.WeightsHash();
    hashes[1] = state.OptimizerStateHash();
    return Status::OK();
  }

  Status ImportSectionHashed(uint32_t section, EncodedTensor&& weights,
                             EncodedTensor&& optimizer_state, const Uint256 hashes[2]) override {
    if (section >= sections_.size()) return Status::InvalidArgument("no such section");
    const PlannedUnit* update = Find(UnitId{UnitKind::kUpdate, 0, 0, section, 0, 0, 0});
    Status s = CheckSlot(weights, update->outputs[0]);
    if (s.ok()) s = CheckSlot(optimizer_state, update->outputs[1]);
    if (!s.ok())
      return Status::InvalidArgument("section " + std::to_string(section) + ": " + s.message());
    SectionState& state = sections_[section];
    state.weights = std::move(weights);
    state.optimizer_state = std::move(optimizer_state);
    state.weights_hash = hashes[0];
    state.optimizer_state_hash = hashes[1];
    state.leaf.reset();
    return Status::OK();
  }

  void SetCallerThreads(int n) override { backend_->SetCallerThreads(n); }

  Status ExportParams(ParamValues* out) const override {
    out->clear();
    for (const ParamSpec& spec : ModelParams(config_)) out->emplace_back(spec.NumElements(), 0.0f);
    for (uint32_t s = 0; s < sections_.size(); ++s) {
      std::vector<float> w;
      Status status = DecodeFloats(sections_[s].weights, &w);
      if (!status.ok()) return status;
      ScatterSection(config_, partition_.sections[s], w, out);
    }
    return Status::OK();
  }

  Status Generate(std::span<const std::string> prompts, uint32_t max_tokens,
                  std::vector<std::string>* out) override {
    ParamValues full;
    Status status = ExportParams(&full);
    if (!status.ok()) return status;
    return backend_->Generate(full, prompts, max_tokens, out);
  }

  Status MakeSectionServer(uint32_t begin, uint32_t end, const ServeLimits& limits,
                           std::unique_ptr<SectionServer>* out) override {
    Status s = CheckServeRange(partition_, begin, end);
    if (!s.ok()) return s;
    ParamValues full;
    s = ExportParams(&full);
    if (!s.ok()) return s;
    *out = backend_->MakeSectionServer(full, begin, end, limits);
    return Status::OK();
  }

  Status JudgeAnswer(uint32_t begin, uint32_t end, std::span<const EncodedTensor> weights,
                     const EncodedTensor& input, uint32_t rows, std::span<const uint8_t> answer,
                     bool* wrong, double* distance) override {
    Status s = CheckServeRange(partition_, begin, end);
    if (!s.ok()) return s;
    if (weights.size() != end - begin)
      return Status::InvalidArgument("expected the weights of " + std::to_string(end - begin) +
                                     " sections, got " + std::to_string(weights.size()));
    // Only the hop's parameters are filled in; the others stay empty.
    const std::vector<ParamSpec> specs = ModelParams(config_);
    ParamValues params(specs.size());
    for (uint32_t i = 0; i < weights.size(); ++i) {
      const Section& section = partition_.sections[begin + i];
      const EncodedTensor& w = weights[i];
      std::vector<float> flat;
      if (w.codec != Codec::kFloat32 || w.shape != std::vector<uint64_t>{section.num_params} ||
          !DecodeFloats(w, &flat).ok())
        return Status::InvalidArgument("section " + std::to_string(begin + i) +
                                       ": weights are not its fp32 vector of " +
                                       std::to_string(section.num_params));
      for (const Piece& piece : section.pieces)
        for (const ParamSlice& slice : PieceSlices(config_, piece))
          params[slice.param].resize(specs[slice.param].NumElements());
      ScatterSection(config_, section, flat, &params);
    }
    const bool embeds = begin == 0;
    const bool layout = embeds ? input.codec == Codec::kUInt8 && input.shape.size() == 1
                               : input.codec == Codec::kFloat32 && input.shape.size() == 2 &&
                                     input.shape[1] == config_.d_model;
    if (!layout || !CheckEncoding(input).ok())
      return Status::InvalidArgument(embeds ? "input: expected (P) u8 token ids"
                                            : "input: expected a (P, C) fp32 stream");
    const uint64_t positions = input.shape[0];
    if (positions == 0 || positions > config_.context || rows == 0 || rows > positions)
      return Status::InvalidArgument("input: " + std::to_string(positions) +
                                     " positions and a last step of " + std::to_string(rows) +
                                     " rows, for a context of " + std::to_string(config_.context));
    // The backend first, the whole session as one step from position 0.
    std::unique_ptr<SectionServer> server =
        backend_->MakeSectionServer(params, begin, end, ServeLimits{});
    EncodedTensor honest;
    s = server->Step(Uint256{}, 0, input, &honest);
    if (s.IsInvalidArgument()) return Status::InvalidArgument("input: " + s.message());
    if (!s.ok()) return s;
    if (end < partition_.sections.size()) {  // a stream: its last `rows` rows
      const size_t row_bytes = honest.payload.size() / positions;
      honest.payload.erase(honest.payload.begin(),
                           honest.payload.end() - static_cast<ptrdiff_t>(rows * row_bytes));
      honest.shape[0] = rows;
    }
    if (!CheckEncoding(honest).ok()) return Status::InvalidArgument("non-finite output");
    *wrong = true;
    *distance = std::numeric_limits<double>::infinity();
    if (answer.size() != honest.payload.size()) return Status::OK();
    EncodedTensor claimed = honest;
    claimed.payload.assign(answer.begin(), answer.end());
    // As Decide: outside the band ε(1 ± δ) the backend's distance decides;
    // inside it, the reference's (a NaN lands there too).
    const double eps = config_.tolerance;
    *distance = RelativeL2(honest, claimed);
    if (*distance <= eps * (1.0 - arbiter_band_)) {
      *wrong = false;
      return Status::OK();
    }
    if (*distance > eps * (1.0 + arbiter_band_)) return Status::OK();
    arbiter_runs_.fetch_add(1, std::memory_order_relaxed);
    EncodedTensor reference;
    s = reference_.Serve(params, begin, end, input, rows, &reference);
    if (!s.ok()) return s;
    *distance = RelativeL2(reference, claimed);
    *wrong = !(*distance <= eps);
    return Status::OK();
  }

 private:
  // Verify's checks of a claim before its tensors, cheapest first: the
  // counts (`outputs` tensors claimed; Recompute claims none but needs them
  // all), the loss, and the input hashes against the chain's. Returns false
  // with *verdict Invalid at the first that fails.
  static bool CheckClaimHead(const PlannedUnit& unit, const WorkClaim& claim, size_t outputs,
                             std::span<const Uint256> expected_inputs, ValidationState* verdict) {
    auto reject = [verdict](std::string reason, std::string detail) {
      return verdict->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(detail));
    };
    const size_t n_in = unit.inputs.size(), n_out = unit.outputs.size();
    if (claim.inputs.size() != n_in || claim.input_hashes.size() != n_in)
      return reject("bad-work-input-count", "plan has " + std::to_string(n_in));
    if (outputs != n_out || claim.output_hashes.size() != n_out)
      return reject("bad-work-output-count", "plan has " + std::to_string(n_out));
    if (!std::isfinite(claim.loss) || (!unit.has_loss && claim.loss != 0.0f))
      return reject("bad-work-loss", "loss on a unit that has none, or not finite");
    for (size_t i = 0; i < n_in; ++i) {
      if (claim.input_hashes[i] == expected_inputs[i]) continue;
      const std::string detail =
          "input " + std::to_string(i) + " is " + claim.input_hashes[i].ToHex();
      switch (unit.inputs[i].source.kind) {
        case Source::Kind::kState:
          return reject("bad-work-weights", detail);
        case Source::Kind::kBatch:
          return reject("bad-work-batch", detail);
        case Source::Kind::kUnit:
          return reject("bad-work-input-hash", detail);
      }
    }
    return true;
  }

  // The verdict on a claim whose tensors passed every check, from the
  // distances d of its outputs and loss to our own re-execution `honest`
  // (file comment in engine.h, "Verification"):
  //   any d > ε(1 + δ)       refuse
  //   every d ≤ ε(1 − δ)     accept
  //   otherwise              re-execute with the reference backend and
  //                          accept iff every distance to it is ≤ ε
  // UPDATE is bit-exact on every machine (compute/update.h): its outputs
  // must be ours byte for byte. Accepting them within ε would let a worker
  // steer the weights by ε·‖w‖ every step, the largest lever within ε
  // (doc/security.md, "Steered lies within ε").
  Status Decide(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
                const WorkClaim& claim, const UnitResult& honest, ValidationState* verdict) {
    auto reject = [verdict](std::string reason, std::string detail) {
      verdict->Invalid(ValidationResult::kConsensus, std::move(reason), std::move(detail));
      return Status::OK();
    };
    const double eps = config_.tolerance;
    const double low = eps * (1.0 - arbiter_band_);
    const double high = eps * (1.0 + arbiter_band_);
    bool in_band = false;
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      // The same bytes need no distance: the usual case on a like machine.
      if (honest.outputs[i].payload == claim.outputs[i].payload) continue;
      const double d = RelativeL2(honest.outputs[i], claim.outputs[i]);
      if (unit.id.kind == UnitKind::kUpdate) {
        return reject("bad-work-output-mismatch",
                      "output " + std::to_string(i) + ": UPDATE is bit-exact, and this differs " +
                          Format("(relative L2 %.1e, ε %.1e)", d, eps));
      }
      if (!(d <= high)) {  // NaN too: a claim vouched for without a value scan may hold one
        return reject("bad-work-output-mismatch", "output " + std::to_string(i) + ": " +
                                                      Format("relative L2 %.1e > %.1e", d, eps));
      }
      in_band = in_band || d > low;
    }
    if (unit.has_loss) {
      const double d = RelativeLossDistance(honest.loss, claim.loss);
      if (!(d <= high)) {
        return reject("bad-work-loss-mismatch", Format("relative %.1e > %.1e", d, eps));
      }
      in_band = in_band || d > low;
    }
    if (!in_band) return Status::OK();

    // Near ε: every honest node judges by the same bytes.
    arbiter_runs_.fetch_add(1, std::memory_order_relaxed);
    UnitResult reference;
    std::vector<EncodedTensor> storage;
    std::vector<const EncodedTensor*> wide;
    Status s = Widen(inputs, &storage, &wide);
    if (s.ok()) s = reference_.Run(unit, wide, &reference);
    if (s.ok()) s = Narrow(unit, &reference);
    if (s.IsInvalidArgument()) return reject("bad-work-output-mismatch", s.message());
    if (!s.ok()) return s;
    for (size_t i = 0; i < unit.outputs.size(); ++i) {
      const double d = RelativeL2(reference.outputs[i], claim.outputs[i]);
      if (!(d <= eps)) {
        return reject("bad-work-output-mismatch",
                      "output " + std::to_string(i) + ": " +
                          Format("relative L2 %.1e > %.1e from the reference execution", d, eps));
      }
    }
    if (unit.has_loss) {
      const double d = RelativeLossDistance(reference.loss, claim.loss);
      if (!(d <= eps)) {
        return reject("bad-work-loss-mismatch",
                      Format("relative %.1e > %.1e from the reference execution", d, eps));
      }
    }
    return Status::OK();
  }

  struct SectionState {
    EncodedTensor weights;
    EncodedTensor optimizer_state;
    // Hashed when a state root or a view is asked for, not on every import:
    // a node importing a step's updates needs the root once per block.
    mutable std::optional<Uint256> weights_hash, optimizer_state_hash, leaf;

    const Uint256& WeightsHash() const {
      if (!weights_hash) weights_hash = weights.Hash();
      return *weights_hash;
    }
    const Uint256& OptimizerStateHash() const {
      if (!optimizer_state_hash) optimizer_state_hash = optimizer_state.Hash();
      return *optimizer_state_hash;
    }
    const Uint256& Leaf(uint32_t s) const {
      if (!leaf) leaf = StateLeaf(s, WeightsHash(), OptimizerStateHash());
      return *leaf;
    }
  };

  EncodedTensor InitialOptimizerState(uint64_t params) const {
    if (config_.optimizer == Optimizer::kSgd) {
      return EncodeFloats({}, std::vector<uint64_t>{0}, Codec::kFloat32);
    }
    const std::vector<float> zeros(2 * params, 0.0f);
    return EncodeFloats(zeros, std::vector<uint64_t>{2, params}, Codec::kFloat32);
  }

  // The template unit for `id` (the plan is the same for every step).
  const PlannedUnit* Find(UnitId id) const {
    id.step = 0;
    auto it = index_.find(id);
    return it == index_.end() ? nullptr : &template_.units[it->second];
  }

  static PlannedUnit Stamped(const PlannedUnit& unit, uint64_t step) {
    PlannedUnit stamped = unit;
    stamped.id.step = step;
    return stamped;
  }

  // Identifies the inputs of a FORWARD, and the same leading inputs of its
  // BACKWARD, so a saved forward graph is only reused on identical inputs.
  Uint256 ForwardDigest(const PlannedUnit& unit, std::span<const Uint256> input_hashes) const {
    size_t n = input_hashes.size();
    if (unit.id.kind == UnitKind::kBackward) {
      UnitId forward = unit.id;
      forward.kind = UnitKind::kForward;
      n = Find(forward)->inputs.size();
    }
    Sha256 hasher;
    for (size_t i = 0; i < n; ++i) hasher.Write(input_hashes[i].span());
    return hasher.Finalize();
  }

  // EngineOptions::perturb_outputs: the lie a cheating worker tells, on
  // every output and on the loss (a head FORWARD has no tensor output) of
  // every unit but UPDATE, which every node recomputes.
  Status Perturb(const PlannedUnit& unit, UnitResult* out) const {
    if (unit.id.kind == UnitKind::kUpdate) return Status::OK();  // recomputed by every node
    out->loss = static_cast<float>(out->loss * (1.0 + perturb_outputs_));
    for (EncodedTensor& t : out->outputs) {
      if (t.codec == Codec::kUInt8) continue;
      std::vector<float> values;
      Status s = DecodeFloats(t, &values);
      if (!s.ok()) return s;
      for (float& v : values) v = static_cast<float>(v * (1.0 + perturb_outputs_));
      t = EncodeFloats(values, t.shape, t.codec);
    }
    return Status::OK();
  }

  // EngineOptions::adversary: the lie within ε a steering worker tells.
  Status Steer(const PlannedUnit& unit, UnitResult* out) const {
    using Adversary = EngineOptions::Adversary;
    if (unit.id.kind == UnitKind::kUpdate) return Status::OK();  // judged bit-exact: no room
    for (size_t o = 0; o < out->outputs.size(); ++o) {
      EncodedTensor& t = out->outputs[o];
      const TensorRole role = unit.outputs[o].role;
      if (t.codec == Codec::kUInt8) continue;
      const bool gradient = role == TensorRole::kParamGrad || role == TensorRole::kStreamGrad ||
                            role == TensorRole::kAttentionGrad;
      if (adversary_ == Adversary::kBias && !gradient) continue;
      std::vector<float> y;
      Status s = DecodeFloats(t, &y);
      if (!s.ok()) return s;
      std::vector<double> u(y.size(), 0.0);
      if (adversary_ == Adversary::kAscent && gradient) {
        for (size_t i = 0; i < y.size(); ++i) u[i] = -y[i];
      } else {
        // Seeded by the output's slot, not the step: the same direction every step.
        UnitId slot = unit.id;
        slot.step = 0;
        Sha256 seed;
        seed.Write(AsBytes(UnitName(slot) + "/" + std::to_string(o)));
        const Uint256 digest = seed.Finalize();
        uint64_t x = 0;
        std::memcpy(&x, digest.data(), sizeof(x));
        for (double& v : u) {
          // splitmix64: one bit per element is all a sign pattern needs.
          x += 0x9e3779b97f4a7c15ULL;
          uint64_t z = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
          z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
          v = ((z ^ (z >> 31)) & 1) ? 1.0 : -1.0;
        }
      }
      double y_norm = 0, u_norm = 0;
      for (size_t i = 0; i < y.size(); ++i) {
        y_norm += static_cast<double>(y[i]) * y[i];
        u_norm += u[i] * u[i];
      }
      if (y_norm == 0 || u_norm == 0) continue;  // nothing to steer along
      const double scale =
          adversary_share_ * config_.tolerance * std::sqrt(y_norm) / std::sqrt(u_norm);
      for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(y[i] + scale * u[i]);
      t = EncodeFloats(y, t.shape, t.codec);
    }
    return Status::OK();
  }

  Status Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
             const Uint256* digest, UnitResult* out) {
    if (unit.id.kind == UnitKind::kUpdate) return RunUpdate(config_, unit, inputs, out);
    std::vector<EncodedTensor> storage;
    std::vector<const EncodedTensor*> wide;
    Status s = Widen(inputs, &storage, &wide);
    if (s.ok()) s = backend_->Run(unit, wide, digest, out);
    return s.ok() ? Narrow(unit, out) : s;
  }

  const ModelConfig config_;
  const Partition partition_;
  const std::unique_ptr<Backend> backend_;
  const size_t verify_hash_beside_bytes_;  // 0: never
  const double perturb_outputs_;           // 0: honest
  const EngineOptions::Adversary adversary_;
  const double adversary_share_;  // a: the share of ε a steering worker uses
  const double arbiter_band_;              // δ; 0: no arbiter
  const ReferenceBackend reference_;       // the arbiter of claims near ε
  std::atomic<uint64_t> arbiter_runs_{0};
  Helper helper_;            // Verify's tensor checks beside its re-execution
  const StepPlan template_;  // the plan of step 0
  std::map<UnitId, size_t> index_;
  std::vector<SectionState> sections_;
};

}  // namespace

Status MakeEngine(const ModelConfig& config, std::unique_ptr<Backend> backend,
                  std::unique_ptr<Engine>* out) {
  return MakeEngine(config, EngineOptions{}, std::move(backend), out);
}

Status MakeEngine(const ModelConfig& config, const EngineOptions& options,
                  std::unique_ptr<Backend> backend, std::unique_ptr<Engine>* out) {
  Status s = config.Validate();
  if (!s.ok()) return s;
  Partition partition;
  s = PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  *out = std::make_unique<StepEngine>(config, std::move(partition), std::move(backend), options);
  return Status::OK();
}

}  // namespace cc::compute
