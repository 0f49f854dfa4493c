// compute::Engine: planning, execution in any valid order and on any thread
// count, verification with its reasons, the state root, import and export.

#include "compute/engine.h"
#include "compute/torch/torch_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "compute/dataset.h"
#include "compute/local_step.h"
#include "compute/reference_backend.h"
#include "compute/torch/model.h"
#include "tests/util/test_util.h"

namespace cc::compute {
namespace {

ModelConfig Tiny() {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig("tiny", &config).ok());
  return config;
}

std::unique_ptr<Engine> NewEngine(const ModelConfig& config, const std::string& device = "cpu") {
  std::unique_ptr<Engine> engine;
  EngineOptions options;
  options.device = device;
  const Status s = MakeTorchEngine(config, options, &engine);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return engine;
}

// Restores libtorch's thread count when a test changes it.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(TorchThreads()) { SetTorchThreads(n); }
  ~ThreadCount() { SetTorchThreads(saved_); }

 private:
  int saved_;
};

class EngineTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = Tiny();
    ASSERT_TRUE(Dataset::Addition(2, &data_).ok());
    // With CC_TEST_DEVICE=cuda: a GPU worker, judged by a CPU verifier.
    worker_ = NewEngine(config_, test::TestComputeDevice());
    verifier_ = NewEngine(config_);
    step_ = std::make_unique<LocalStep>(worker_.get(), &data_, 0);
    ASSERT_TRUE(step_->RunAll().ok());
  }

  // The honest claim for `id` from the worker's step.
  WorkClaim Claim(const UnitId& id) {
    WorkClaim claim;
    EXPECT_TRUE(step_->Claim(id, &claim).ok());
    return claim;
  }

  // The verdict on `claim` when the chain expects `expected` as its inputs
  // (by default, the honest ones).
  ValidationState Judge(const WorkClaim& claim, const std::vector<Uint256>* expected = nullptr) {
    std::vector<Uint256> honest;
    if (expected == nullptr) {
      std::vector<EncodedTensor> unused;
      EXPECT_TRUE(step_->Inputs(claim.unit, &unused, &honest).ok());
      expected = &honest;
    }
    ValidationState verdict;
    const Status s = verifier_->Verify(claim, *expected, &verdict);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return verdict;
  }

  // The first unit of the plan satisfying `pred`.
  template <typename Pred>
  UnitId First(Pred pred) const {
    for (const PlannedUnit& unit : step_->plan().units) {
      if (pred(unit)) return unit.id;
    }
    ADD_FAILURE() << "no such unit";
    return {};
  }
  UnitId LossUnit() const {
    return First([](const PlannedUnit& u) { return u.has_loss; });
  }
  UnitId EmbeddingUnit() const {
    return First([](const PlannedUnit& u) {
      return u.id.kind == UnitKind::kForward && u.inputs[1].slot.role == TensorRole::kTokens;
    });
  }
  UnitId Of(UnitKind kind) const {
    return First([kind](const PlannedUnit& u) { return u.id.kind == kind; });
  }

  static void Rehash(WorkClaim* claim) {
    for (size_t i = 0; i < claim->outputs.size(); ++i)
      claim->output_hashes[i] = claim->outputs[i].Hash();
  }
  static void Scale(EncodedTensor* t, float factor) {
    std::vector<float> v;
    ASSERT_TRUE(DecodeFloats(*t, &v).ok());
    for (float& x : v) x *= factor;
    *t = EncodeFloats(v, t->shape, Codec::kFloat32);
  }

  ModelConfig config_;
  Dataset data_;
  std::unique_ptr<Engine> worker_, verifier_;
  std::unique_ptr<LocalStep> step_;
};

TEST_F(EngineTest, AcceptsEveryHonestUnit) {
  for (const PlannedUnit& unit : step_->plan().units) {
    const ValidationState verdict = Judge(Claim(unit.id));
    EXPECT_TRUE(verdict.IsValid()) << UnitName(unit.id) << ": " << verdict.reason() << " "
                              << verdict.debug();
  }
}

TEST_F(EngineTest, AcceptsHonestOutputsFromAnotherThreadCount) {
  // The worker ran on the default thread count; re-run it on 1 and 2.
  for (int threads : {1, 2}) {
    ThreadCount scope(threads);
    for (const PlannedUnit& unit : step_->plan().units) {
      const ValidationState verdict = Judge(Claim(unit.id));
      EXPECT_TRUE(verdict.IsValid()) << threads << " threads, " << UnitName(unit.id) << ": "
                                << verdict.debug();
    }
  }
}

TEST_F(EngineTest, AcceptsPerturbationWithinTolerance) {
  WorkClaim claim = Claim(LossUnit());
  ASSERT_FALSE(claim.outputs.empty() && claim.loss == 0);
  claim.loss *= 1.0f + 0.1f * config_.tolerance;
  EXPECT_TRUE(Judge(claim).IsValid());
  WorkClaim forward = Claim(EmbeddingUnit());
  Scale(&forward.outputs[0], 1.0f + 0.1f * config_.tolerance);
  Rehash(&forward);
  EXPECT_TRUE(Judge(forward).IsValid());
}

TEST_F(EngineTest, RejectsPerturbedOutput) {
  for (UnitKind kind :
       {UnitKind::kForward, UnitKind::kAttention, UnitKind::kBackward, UnitKind::kUpdate}) {
    WorkClaim claim = Claim(Of(kind));
    Scale(&claim.outputs[0], 1.0f + 10 * config_.tolerance);
    Rehash(&claim);
    EXPECT_EQ(Judge(claim).reason(), "bad-work-output-mismatch") << UnitName(claim.unit);
  }
}

// EngineOptions::adversary: a worker steering every output by a·ε
// (a = 0.9) is accepted on every unit, each steered output lies at relative
// L2 a·ε from the honest one in the intended direction, and the same lie
// stretched to 1.5ε is refused.
TEST_F(EngineTest, SteeredLiesWithinToleranceAreAcceptedAndStretchedOnesRefused) {
  constexpr double kShare = 0.9;
  const double eps = config_.tolerance;
  auto values = [](const EncodedTensor& t) {
    std::vector<float> v;
    EXPECT_TRUE(DecodeFloats(t, &v).ok());
    return std::vector<double>(v.begin(), v.end());
  };
  // cos of the angle between a − b and c.
  auto cosine = [](const std::vector<double>& a, const std::vector<double>& b,
                   const std::vector<double>& c) {
    double dot = 0, n1 = 0, n2 = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      dot += (a[i] - b[i]) * c[i];
      n1 += (a[i] - b[i]) * (a[i] - b[i]);
      n2 += c[i] * c[i];
    }
    return dot / std::sqrt(n1 * n2);
  };
  for (const auto mode : {EngineOptions::Adversary::kAscent, EngineOptions::Adversary::kBias}) {
    const bool ascent = mode == EngineOptions::Adversary::kAscent;
    EngineOptions options;
    options.device = test::TestComputeDevice();
    options.adversary = mode;
    options.adversary_share = kShare;
    std::unique_ptr<Engine> liar;
    ASSERT_TRUE(MakeTorchEngine(config_, options, &liar).ok());
    size_t steered = 0;
    for (const PlannedUnit& unit : step_->plan().units) {
      const WorkClaim honest_claim = Claim(unit.id);
      UnitResult honest, lie;
      ASSERT_TRUE(worker_->Execute(unit.id, honest_claim.inputs, {}, &honest).ok());
      ASSERT_TRUE(liar->Execute(unit.id, honest_claim.inputs, {}, &lie).ok());
      WorkClaim claim = honest_claim, stretched = honest_claim;
      claim.outputs = lie.outputs;
      claim.loss = lie.loss;
      Rehash(&claim);
      EXPECT_TRUE(Judge(claim).IsValid()) << UnitName(unit.id) << ": " << Judge(claim).debug();
      bool any = false;
      for (size_t o = 0; o < unit.outputs.size(); ++o) {
        const TensorRole role = unit.outputs[o].role;
        const bool gradient = role == TensorRole::kParamGrad ||
                              role == TensorRole::kStreamGrad ||
                              role == TensorRole::kAttentionGrad;
        const double d = RelativeL2(honest.outputs[o], lie.outputs[o]);
        if (unit.id.kind == UnitKind::kUpdate || (!ascent && !gradient)) {
          EXPECT_LT(d, 0.01 * eps) << UnitName(unit.id) << " output " << o << " steered";
          continue;
        }
        any = true;
        EXPECT_GT(d, 0.899 * eps) << UnitName(unit.id) << " output " << o;
        EXPECT_LT(d, 0.901 * eps) << UnitName(unit.id) << " output " << o;
        const std::vector<double> y = values(honest.outputs[o]), y_lie = values(lie.outputs[o]);
        if (ascent && gradient) {
          // Against the gradient: a shorter descent step.
          EXPECT_LT(cosine(y_lie, y, y), -0.9999) << UnitName(unit.id) << " output " << o;
        } else if (!ascent) {
          // The same direction on another step: a bias that accumulates.
          UnitId later = unit.id;
          later.step = 7;
          UnitResult again;
          ASSERT_TRUE(liar->Execute(later, honest_claim.inputs, {}, &again).ok());
          std::vector<double> delta = values(lie.outputs[o]);
          for (size_t i = 0; i < delta.size(); ++i) delta[i] -= y[i];
          EXPECT_GT(cosine(values(again.outputs[o]), y, delta), 0.9999) << UnitName(unit.id);
        }
        // The same lie at 1.5ε.
        std::vector<float> far(y.size());
        for (size_t i = 0; i < y.size(); ++i)
          far[i] = static_cast<float>(y[i] + (y_lie[i] - y[i]) * (1.5 / kShare));
        stretched.outputs[o] = EncodeFloats(far, honest.outputs[o].shape, Codec::kFloat32);
      }
      if (!any) continue;
      ++steered;
      Rehash(&stretched);
      EXPECT_EQ(Judge(stretched).reason(), "bad-work-output-mismatch") << UnitName(unit.id);
    }
    // ascent steers every unit with an output but UPDATE (judged bit-exact)
    // and a FORWARD that only ends in the loss; bias the BACKWARDs.
    size_t expected = 0;
    for (const PlannedUnit& unit : step_->plan().units) {
      expected += ascent ? !unit.outputs.empty() && unit.id.kind != UnitKind::kUpdate
                         : unit.id.kind == UnitKind::kBackward;
    }
    EXPECT_EQ(steered, expected) << (ascent ? "ascent" : "bias");
  }
}

// -perturbwork's liar (EngineOptions::perturb_outputs) lies on every unit
// it computes but UPDATE (which every node recomputes), the loss included: a
// head FORWARD has no tensor output but its loss, and a liar that left the
// loss honest was paid for those (feature_lying_worker failed under load
// when the liar's block carried two). Its UPDATEs are right on its inputs.
TEST_F(EngineTest, APerturbingWorkerIsRefusedOnEveryUnit) {
  EngineOptions options;
  options.perturb_outputs = 0.01;
  std::unique_ptr<Engine> liar;
  ASSERT_TRUE(MakeTorchEngine(config_, options, &liar).ok());
  LocalStep step(liar.get(), &data_, 0);
  ASSERT_TRUE(step.RunAll().ok());
  size_t loss_only = 0;
  for (const PlannedUnit& unit : step.plan().units) {
    WorkClaim claim;
    ASSERT_TRUE(step.Claim(unit.id, &claim).ok());
    if (claim.outputs.empty()) ++loss_only;
    ValidationState verdict;
    ASSERT_TRUE(verifier_->Verify(claim, claim.input_hashes, &verdict).ok());
    EXPECT_EQ(verdict.IsValid(), unit.id.kind == UnitKind::kUpdate) << UnitName(unit.id);
  }
  EXPECT_GT(loss_only, 0u);
}

// UPDATE is bit-exact on every machine, so its outputs are accepted only
// byte for byte: weights or optimizer state a tenth of ε away, or one bit
// off in one element, are refused.
TEST_F(EngineTest, UpdateMustBeBitExact) {
  const WorkClaim honest = Claim(Of(UnitKind::kUpdate));
  EXPECT_TRUE(Judge(honest).IsValid());
  for (size_t o = 0; o < honest.outputs.size(); ++o) {
    if (honest.outputs[o].NumElements() == 0) continue;  // SGD's optimizer state
    WorkClaim near = honest;
    Scale(&near.outputs[o], 1.0f + 0.1f * config_.tolerance);
    Rehash(&near);
    const ValidationState verdict = Judge(near);
    EXPECT_EQ(verdict.reason(), "bad-work-output-mismatch") << o;
    EXPECT_NE(verdict.debug().find("UPDATE is bit-exact"), std::string::npos) << verdict.debug();
    WorkClaim one_bit = honest;
    one_bit.outputs[o].payload[0] ^= 1;  // the lowest mantissa bit of element 0
    Rehash(&one_bit);
    EXPECT_EQ(Judge(one_bit).reason(), "bad-work-output-mismatch") << o;
  }
}

// ModelConfig::stream_codec: activations and their gradients are committed
// in bf16 or int8 rows, everything else as before (parameter gradients and
// UPDATE fp32, so UPDATE stays bit-exact). A verifier rounding its own
// re-execution alike accepts every honest unit, without the arbiter, and
// refuses a perturbed one; the step's loss stays near the fp32 step's.
TEST(StreamCodecTest, HonestUnitsAreAcceptedAndLiesRefusedInEveryCodec) {
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  ModelConfig fp32 = Tiny();
  std::unique_ptr<Engine> wide = NewEngine(fp32);
  LocalStep wide_step(wide.get(), &data, 0);
  ASSERT_TRUE(wide_step.RunAll().ok());
  for (const Codec codec : {Codec::kBFloat16, Codec::kInt8Rows}) {
    ModelConfig config = fp32;
    config.stream_codec = codec;
    std::unique_ptr<Engine> worker = NewEngine(config), verifier = NewEngine(config);
    LocalStep step(worker.get(), &data, 0);
    ASSERT_TRUE(step.RunAll().ok());
    size_t narrow = 0;
    for (const PlannedUnit& unit : step.plan().units) {
      WorkClaim claim;
      ASSERT_TRUE(step.Claim(unit.id, &claim).ok());
      for (size_t o = 0; o < claim.outputs.size(); ++o) {
        const bool stream = IsStream(unit.outputs[o].role);
        EXPECT_EQ(claim.outputs[o].codec, stream ? codec : Codec::kFloat32) << UnitName(unit.id);
        narrow += stream;
      }
      ValidationState verdict;
      ASSERT_TRUE(verifier->Verify(claim, claim.input_hashes, &verdict).ok());
      EXPECT_TRUE(verdict.IsValid()) << UnitName(unit.id) << ": " << verdict.ToString();
      if (claim.outputs.empty() || claim.outputs[0].codec != codec) continue;
      std::vector<float> values;
      ASSERT_TRUE(DecodeFloats(claim.outputs[0], &values).ok());
      for (float& v : values) v *= 1.01f;
      claim.outputs[0] = EncodeFloats(values, claim.outputs[0].shape, codec);
      claim.output_hashes[0] = claim.outputs[0].Hash();
      ASSERT_TRUE(verifier->Verify(claim, claim.input_hashes, &verdict).ok());
      EXPECT_EQ(verdict.reason(), "bad-work-output-mismatch") << UnitName(unit.id);
    }
    EXPECT_GT(narrow, 0u);
    EXPECT_EQ(verifier->ArbiterRuns(), 0u) << "honest rounding landed near ε";
    // Rounding the stream moves the step's loss by far less than training
    // does (measured: bf16 6.9e-6, int8 rows 2.6e-5 relative).
    const double loss = step.Loss(), reference = wide_step.Loss();
    EXPECT_LT(std::abs(loss - reference) / reference, codec == Codec::kBFloat16 ? 2e-5 : 8e-5)
        << "loss " << loss << " vs fp32 " << reference;
  }
}

// A holder brings its section up to date by recomputing UPDATE from the
// lanes' gradients, judging the claim by its output hashes alone: the
// recomputed outputs are the worker's bytes, and a claim whose output
// hashes are one bit off, or that reads other gradients, is refused.
TEST_F(EngineTest, UpdateIsRecomputedWithoutItsOutputs) {
  WorkClaim claim = Claim(Of(UnitKind::kUpdate));
  const std::vector<EncodedTensor> outputs = std::move(claim.outputs);
  claim.outputs.clear();
  ValidationState verdict;
  UnitResult recomputed;
  ASSERT_TRUE(verifier_->Recompute(claim, claim.input_hashes, &verdict, &recomputed).ok());
  ASSERT_TRUE(verdict.IsValid()) << verdict.ToString();
  ASSERT_EQ(recomputed.outputs.size(), outputs.size());
  for (size_t o = 0; o < outputs.size(); ++o)
    EXPECT_EQ(recomputed.outputs[o].payload, outputs[o].payload) << o;

  for (size_t o = 0; o < outputs.size(); ++o) {
    if (outputs[o].NumElements() == 0) continue;  // SGD's optimizer state
    WorkClaim lie = claim;
    EncodedTensor one_bit = outputs[o];
    one_bit.payload[0] ^= 1;
    lie.output_hashes[o] = one_bit.Hash();
    ASSERT_TRUE(verifier_->Recompute(lie, lie.input_hashes, &verdict, &recomputed).ok());
    EXPECT_EQ(verdict.reason(), "bad-work-output-mismatch") << o;
    EXPECT_NE(verdict.debug().find("UPDATE is bit-exact"), std::string::npos) << verdict.debug();
  }
  // Gradients other than the chain's: refused by hash before anything runs.
  const size_t gradient = claim.inputs.size() - 1;
  std::vector<Uint256> expected = claim.input_hashes;
  WorkClaim other = claim;
  Scale(&other.inputs[gradient], 2.0f);
  other.input_hashes[gradient] = other.inputs[gradient].Hash();
  ASSERT_TRUE(verifier_->Recompute(other, expected, &verdict, &recomputed).ok());
  EXPECT_EQ(verdict.reason(), "bad-work-input-hash");
  // Bytes that do not hash to the named id, when the caller has not checked them.
  WorkClaim tampered = claim;
  Scale(&tampered.inputs[gradient], 2.0f);
  ASSERT_TRUE(verifier_->Recompute(tampered, expected, &verdict, &recomputed).ok());
  EXPECT_EQ(verdict.reason(), "bad-work-input-hash");
  EXPECT_NE(verdict.debug().find("does not hash"), std::string::npos) << verdict.debug();
  WorkClaim missing = claim;
  missing.output_hashes.pop_back();
  ASSERT_TRUE(verifier_->Recompute(missing, expected, &verdict, &recomputed).ok());
  EXPECT_EQ(verdict.reason(), "bad-work-output-count");

  // Only UPDATE is bit-exact: other units are judged within ε, by Verify.
  const WorkClaim forward = Claim(EmbeddingUnit());
  EXPECT_TRUE(verifier_->Recompute(forward, forward.input_hashes, &verdict, &recomputed)
                  .IsInvalidArgument());
}

TEST_F(EngineTest, RejectsWrongLoss) {
  WorkClaim claim = Claim(LossUnit());
  claim.loss *= 1.01f;
  EXPECT_EQ(Judge(claim).reason(), "bad-work-loss-mismatch");
  WorkClaim no_loss = Claim(Of(UnitKind::kAttention));
  no_loss.loss = 1.0f;
  EXPECT_EQ(Judge(no_loss).reason(), "bad-work-loss");
}

// A worker that computed from other weights either names them (and is
// caught comparing with the committed state) or names the right ones (and is
// caught re-executing).
TEST_F(EngineTest, RejectsOutputFromTheWrongWeights) {
  const UnitId id = EmbeddingUnit();
  WorkClaim claim = Claim(id);
  const std::vector<Uint256> expected = claim.input_hashes;
  ASSERT_EQ(step_->plan().Find(id)->inputs[0].slot.role, TensorRole::kWeights);
  EncodedTensor other_weights = claim.inputs[0];
  Scale(&other_weights, 1.5f);
  UnitResult wrong;
  ASSERT_TRUE(worker_
                  ->Execute(
                      id,
                      [&] {
                        auto in = claim.inputs;
                        in[0] = other_weights;
                        return in;
                      }(),
                      {}, &wrong)
                  .ok());
  WorkClaim named = claim;
  named.inputs[0] = other_weights;
  named.input_hashes[0] = other_weights.Hash();
  named.outputs = wrong.outputs;
  Rehash(&named);
  EXPECT_EQ(Judge(named, &expected).reason(), "bad-work-weights");

  WorkClaim hidden = claim;
  hidden.outputs = wrong.outputs;
  Rehash(&hidden);
  EXPECT_EQ(Judge(hidden, &expected).reason(), "bad-work-output-mismatch");
}

TEST_F(EngineTest, RejectsTheWrongBatch) {
  const UnitId id = EmbeddingUnit();
  WorkClaim claim = Claim(id);
  const std::vector<Uint256> expected = claim.input_hashes;
  EncodedBatch other;
  ASSERT_TRUE(LaneBatch(data_, config_, /*step=*/7, id.lane, &other).ok());
  claim.inputs[1] = other.inputs;
  claim.input_hashes[1] = other.inputs.Hash();
  UnitResult result;
  ASSERT_TRUE(worker_->Execute(id, claim.inputs, {}, &result).ok());
  claim.outputs = result.outputs;
  Rehash(&claim);
  EXPECT_EQ(Judge(claim, &expected).reason(), "bad-work-batch");
}

TEST_F(EngineTest, RejectsAnInputThatIsNotTheCommittedOne) {
  const UnitId id = Of(UnitKind::kAttention);
  WorkClaim claim = Claim(id);
  std::vector<Uint256> expected = claim.input_hashes;
  expected[0] = Uint256();  // the chain committed a different upstream output
  EXPECT_EQ(Judge(claim, &expected).reason(), "bad-work-input-hash");
}

TEST_F(EngineTest, RejectsTensorsThatDoNotMatchTheirHash) {
  WorkClaim output = Claim(Of(UnitKind::kBackward));
  output.outputs[0].payload[0] ^= 1;
  EXPECT_EQ(Judge(output).reason(), "bad-work-output-hash");
  WorkClaim input = Claim(Of(UnitKind::kBackward));
  input.inputs[0].payload[5] ^= 1;
  EXPECT_EQ(Judge(input).reason(), "bad-work-input-hash");
}

// A caller that read the tensors from a TensorStore has checked their hashes
// already; Verify then takes the claim's hashes as given and re-executes.
TEST_F(EngineTest, HashesCheckedByTheCallerAreNotRecomputed) {
  WorkClaim claim = Claim(Of(UnitKind::kBackward));
  claim.hashes_checked = true;
  EXPECT_TRUE(Judge(claim).IsValid());
  claim.output_hashes[0] = Uint256();  // a wrong id the caller vouched for
  EXPECT_TRUE(Judge(claim).IsValid());
  Scale(&claim.outputs[0], 1.0f + 10 * config_.tolerance);
  EXPECT_EQ(Judge(claim).reason(), "bad-work-output-mismatch");
}

// Vouched-for tensors are not scanned for values again; a caller that
// vouches wrongly for a non-finite output still gets the claim rejected.
TEST_F(EngineTest, TensorsCheckedByTheCallerAreNotScannedButStillCompared) {
  WorkClaim claim = Claim(Of(UnitKind::kAttention));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(claim.outputs[0].payload.data(), &nan, sizeof(nan));
  EXPECT_EQ(Judge(claim).reason(), "bad-work-malformed-tensor");
  claim.hashes_checked = true;
  EXPECT_EQ(Judge(claim).reason(), "bad-work-output-mismatch");
  WorkClaim wrong_shape = Claim(Of(UnitKind::kAttention));
  wrong_shape.hashes_checked = true;
  wrong_shape.outputs[0].shape[0] += 1;
  EXPECT_EQ(Judge(wrong_shape).reason(), "bad-work-malformed-tensor");
}

TEST_F(EngineTest, RejectsMalformedTensors) {
  WorkClaim truncated = Claim(EmbeddingUnit());
  truncated.outputs[0].payload.resize(truncated.outputs[0].payload.size() - 4);
  Rehash(&truncated);
  EXPECT_EQ(Judge(truncated).reason(), "bad-work-malformed-tensor");

  WorkClaim reshaped = Claim(EmbeddingUnit());
  std::swap(reshaped.outputs[0].shape[0], reshaped.outputs[0].shape[1]);
  Rehash(&reshaped);
  EXPECT_EQ(Judge(reshaped).reason(), "bad-work-malformed-tensor");

  WorkClaim not_a_number = Claim(Of(UnitKind::kAttention));
  const float nan = std::nanf("");
  std::memcpy(not_a_number.outputs[0].payload.data(), &nan, 4);
  Rehash(&not_a_number);
  EXPECT_EQ(Judge(not_a_number).reason(), "bad-work-malformed-tensor");

  WorkClaim recoded = Claim(Of(UnitKind::kAttention));
  recoded.outputs[0].codec = Codec::kBFloat16;
  Rehash(&recoded);
  EXPECT_EQ(Judge(recoded).reason(), "bad-work-malformed-tensor");
}

TEST_F(EngineTest, RejectsUnknownUnitsAndWrongCounts) {
  WorkClaim unknown = Claim(Of(UnitKind::kForward));
  unknown.unit.layer = 99;
  ValidationState verdict;
  ASSERT_TRUE(
      verifier_->Verify(unknown, Claim(Of(UnitKind::kForward)).input_hashes, &verdict).ok());
  EXPECT_EQ(verdict.reason(), "bad-work-unit");

  WorkClaim fewer_outputs = Claim(Of(UnitKind::kUpdate));
  fewer_outputs.outputs.pop_back();
  fewer_outputs.output_hashes.pop_back();
  EXPECT_EQ(Judge(fewer_outputs).reason(), "bad-work-output-count");

  WorkClaim fewer_inputs = Claim(Of(UnitKind::kUpdate));
  const std::vector<Uint256> expected = fewer_inputs.input_hashes;
  fewer_inputs.inputs.pop_back();
  fewer_inputs.input_hashes.pop_back();
  EXPECT_EQ(Judge(fewer_inputs, &expected).reason(), "bad-work-input-count");
}

// A worker keeping FORWARD's graph for its BACKWARD commits what a verifier
// on the same device recomputing from the committed inputs gets, bit for bit.
TEST_F(EngineTest, SavedForwardStateGivesTheRecomputedOutputs) {
  const std::unique_ptr<Engine> recomputer = NewEngine(config_, test::TestComputeDevice());
  for (const PlannedUnit& unit : step_->plan().units) {
    if (unit.id.kind != UnitKind::kBackward) continue;
    WorkClaim claim = Claim(unit.id);
    UnitResult recomputed;
    ASSERT_TRUE(recomputer->Execute(unit.id, claim.inputs, {}, &recomputed).ok());
    EXPECT_EQ(recomputed.outputs, claim.outputs) << UnitName(unit.id);
  }
}

// A worker keeps a FORWARD's graph for its own BACKWARD; on a network the
// BACKWARD often goes to another worker, so states of a finished step are
// dropped when the next step's first FORWARD is kept (they once piled up
// at ~15 MB a step on a devnet worker).
TEST_F(EngineTest, SavedForwardStatesOfEarlierStepsAreDropped) {
  UnitRunner runner(config_, worker_->partition(), "cpu", /*keep_forward_state=*/true);
  const Uint256 digest = Uint256::FromHex(std::string(64, 'a')).value();
  size_t forwards = 0;
  PlannedUnit last;
  for (const PlannedUnit& unit : step_->plan().units) {
    if (unit.id.kind != UnitKind::kForward) continue;
    const WorkClaim claim = Claim(unit.id);
    std::vector<const EncodedTensor*> inputs;
    for (const EncodedTensor& t : claim.inputs) inputs.push_back(&t);
    UnitResult out;
    ASSERT_TRUE(runner.Run(unit, inputs, &digest, &out).ok()) << UnitName(unit.id);
    ++forwards;
    last = unit;
  }
  ASSERT_GT(forwards, 1u);
  EXPECT_EQ(runner.SavedStates(), forwards);  // none of this step's BACKWARDs ran here

  // The same stage one step later (its inputs' values do not matter here).
  PlannedUnit next = last;
  ++next.id.step;
  const WorkClaim claim = Claim(last.id);
  std::vector<const EncodedTensor*> inputs;
  for (const EncodedTensor& t : claim.inputs) inputs.push_back(&t);
  UnitResult out;
  ASSERT_TRUE(runner.Run(next, inputs, &digest, &out).ok());
  EXPECT_EQ(runner.SavedStates(), 1u);
}

// A verifier hashing the tensors on a helper thread while it re-executes
// (EngineOptions::verify_hash_beside_bytes) reaches every verdict the
// one-by-one checks reach, with the same reason.
TEST_F(EngineTest, HashingBesideReExecutionGivesTheSameVerdicts) {
  EngineOptions beside;
  beside.verify_hash_beside_bytes = 1;
  std::unique_ptr<Engine> helper_verifier;
  ASSERT_TRUE(MakeTorchEngine(config_, beside, &helper_verifier).ok());
  std::vector<WorkClaim> claims;
  for (const PlannedUnit& unit : step_->plan().units) claims.push_back(Claim(unit.id));
  WorkClaim scaled = Claim(Of(UnitKind::kBackward));
  Scale(&scaled.outputs[0], 1.0f + 10 * config_.tolerance);
  Rehash(&scaled);
  claims.push_back(scaled);
  WorkClaim flipped_output = Claim(Of(UnitKind::kAttention));
  flipped_output.outputs[0].payload[0] ^= 1;
  claims.push_back(flipped_output);
  WorkClaim flipped_input = Claim(Of(UnitKind::kForward));
  flipped_input.inputs[0].payload[5] ^= 1;
  claims.push_back(flipped_input);
  WorkClaim nan_input = Claim(Of(UnitKind::kAttention));
  const float nan = std::nanf("");
  std::memcpy(nan_input.inputs[0].payload.data() + 8, &nan, 4);
  nan_input.input_hashes[0] = nan_input.inputs[0].Hash();
  claims.push_back(nan_input);
  WorkClaim nan_output = Claim(Of(UnitKind::kUpdate));
  std::memcpy(nan_output.outputs[0].payload.data() + 4, &nan, 4);
  Rehash(&nan_output);
  claims.push_back(nan_output);
  WorkClaim truncated = Claim(EmbeddingUnit());
  truncated.outputs[0].payload.resize(truncated.outputs[0].payload.size() - 4);
  Rehash(&truncated);
  claims.push_back(truncated);
  for (const WorkClaim& claim : claims) {
    std::vector<Uint256> expected;
    std::vector<EncodedTensor> unused;
    ASSERT_TRUE(step_->Inputs(claim.unit, &unused, &expected).ok());
    ValidationState one_by_one, with_helper;
    ASSERT_TRUE(verifier_->Verify(claim, expected, &one_by_one).ok());
    ASSERT_TRUE(helper_verifier->Verify(claim, expected, &with_helper).ok());
    EXPECT_EQ(one_by_one.IsValid(), with_helper.IsValid()) << UnitName(claim.unit);
    EXPECT_EQ(one_by_one.reason(), with_helper.reason()) << UnitName(claim.unit);
    EXPECT_EQ(one_by_one.debug(), with_helper.debug()) << UnitName(claim.unit);
  }
}

// Any order the dependencies allow, on 1 or 2 threads, gives outputs that
// verify against each other; on the same thread count, the very same bits.
TEST(EngineOrderTest, ValidOrdersAndThreadCountsAgree) {
  const ModelConfig config = Tiny();
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<std::unique_ptr<LocalStep>> steps;
  std::mt19937 rng(12345);
  for (int run = 0; run < 4; ++run) {
    ThreadCount scope(run < 2 ? 1 : 2);
    engines.push_back(NewEngine(config));
    steps.push_back(std::make_unique<LocalStep>(engines.back().get(), &data, 0));
    // Kahn's algorithm, picking a random ready unit each time.
    const StepPlan& plan = steps.back()->plan();
    std::set<UnitId> done;
    std::vector<const PlannedUnit*> pending;
    for (const PlannedUnit& unit : plan.units) pending.push_back(&unit);
    while (!pending.empty()) {
      std::vector<size_t> ready;
      for (size_t i = 0; i < pending.size(); ++i) {
        const std::vector<UnitId> deps = pending[i]->Dependencies();
        if (std::all_of(deps.begin(), deps.end(), [&](const UnitId& d) { return done.count(d); })) {
          ready.push_back(i);
        }
      }
      ASSERT_FALSE(ready.empty());
      const size_t pick = run == 0 ? ready.front() : ready[rng() % ready.size()];
      ASSERT_TRUE(steps.back()->Run(pending[pick]->id).ok());
      done.insert(pending[pick]->id);
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(pick));
    }
  }
  // Each run's units verify on an engine running the other thread count
  // (before committing: the claims read the step's starting state).
  for (int a = 0; a < 4; ++a) {
    const int b = (a + 2) % 4;  // the other thread count
    ThreadCount scope(b < 2 ? 1 : 2);
    for (const PlannedUnit& unit : steps[a]->plan().units) {
      WorkClaim claim;
      ASSERT_TRUE(steps[a]->Claim(unit.id, &claim).ok());
      ValidationState verdict;
      ASSERT_TRUE(engines[b]->Verify(claim, claim.input_hashes, &verdict).ok());
      EXPECT_TRUE(verdict.IsValid()) << UnitName(unit.id) << ": " << verdict.debug();
    }
  }
  // On the same thread count, the very same state whatever the order.
  for (auto& step : steps) ASSERT_TRUE(step->Commit().ok());
  EXPECT_EQ(engines[0]->StateRoot(), engines[1]->StateRoot());
  EXPECT_EQ(engines[2]->StateRoot(), engines[3]->StateRoot());
}

// The initial state is a pure function of the configuration: these roots
// must never change (genesis commits to them).
TEST(EngineStateTest, GoldenInitialStateRoots) {
  const std::map<std::string, std::string> golden = {
      {"tiny", "4c5e09a8ab24f99e4bf39bab2acaac07e44a4b74b9c35a8c2d52cffb957e21a9"},
      {"devnet", "d0dd46f6f9219b332b9137c155322a6f20e12be49eaadd36b816841cc0f2d66a"},
  };
  for (const auto& [name, hex] : golden) {
    ModelConfig config;
    ASSERT_TRUE(PresetConfig(name, &config).ok());
    EXPECT_EQ(NewEngine(config)->StateRoot().ToHex(), hex) << name;
  }
}

TEST(EngineStateTest, StateRootCommitsToEverySection) {
  const ModelConfig config = Tiny();
  std::unique_ptr<Engine> engine = NewEngine(config);
  const Uint256 before = engine->StateRoot();
  for (uint32_t s = 0; s < config.sections; ++s) {
    EncodedTensor w, state;
    ASSERT_TRUE(engine->ExportSection(s, &w, &state).ok());
    EncodedTensor changed = w;
    changed.payload[0] ^= 0x40;
    ASSERT_TRUE(CheckEncoding(changed).ok());
    ASSERT_TRUE(engine->ImportSection(s, changed, state).ok());
    EXPECT_NE(engine->StateRoot(), before) << s;
    ASSERT_TRUE(engine->ImportSection(s, w, state).ok());
    EXPECT_EQ(engine->StateRoot(), before);
  }
}

TEST(EngineStateTest, ExportImportMovesAModelBetweenEngines) {
  ModelConfig config = Tiny();
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  std::unique_ptr<Engine> trained = NewEngine(config), fresh = NewEngine(config);
  LocalStep step(trained.get(), &data, 0);
  ASSERT_TRUE(step.RunAll().ok());
  ASSERT_TRUE(step.Commit().ok());
  ASSERT_NE(trained->StateRoot(), fresh->StateRoot());
  for (uint32_t s = 0; s < config.sections; ++s) {
    EncodedTensor w, state;
    ASSERT_TRUE(trained->ExportSection(s, &w, &state).ok());
    ASSERT_TRUE(fresh->ImportSection(s, w, state).ok());
  }
  EXPECT_EQ(trained->StateRoot(), fresh->StateRoot());
}

TEST(EngineStateTest, ImportRejectsBadSectionsAndLeavesStateAlone) {
  std::unique_ptr<Engine> engine = NewEngine(Tiny());
  const Uint256 before = engine->StateRoot();
  EncodedTensor w, state;
  ASSERT_TRUE(engine->ExportSection(0, &w, &state).ok());
  EXPECT_TRUE(engine->ImportSection(99, w, state).IsInvalidArgument());
  EXPECT_TRUE(engine->ExportSection(99, &w, &state).IsInvalidArgument());
  EncodedTensor short_weights = w;
  short_weights.payload.resize(8);
  EXPECT_TRUE(engine->ImportSection(0, short_weights, state).IsInvalidArgument());
  EncodedTensor other_section;
  ASSERT_TRUE(engine->ExportSection(1, &other_section, &state).ok());
  EXPECT_TRUE(engine->ImportSection(0, other_section, state).IsInvalidArgument());
  EXPECT_EQ(engine->StateRoot(), before);
}

TEST(EngineExecuteTest, RejectsUnitsAndInputsOutsideThePlan) {
  const ModelConfig config = Tiny();
  std::unique_ptr<Engine> engine = NewEngine(config);
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  LocalStep step(engine.get(), &data, 0);
  const UnitId first = step.plan().units.front().id;
  std::vector<EncodedTensor> inputs;
  std::vector<Uint256> hashes;
  ASSERT_TRUE(step.Inputs(first, &inputs, &hashes).ok());
  UnitResult out;
  UnitId bogus = first;
  bogus.section = 77;
  EXPECT_TRUE(engine->Execute(bogus, inputs, {}, &out).IsInvalidArgument());
  EXPECT_TRUE(engine->Execute(first, std::span(inputs).first(1), {}, &out).IsInvalidArgument());
  std::vector<EncodedTensor> misshapen = inputs;
  misshapen[0].shape[0] -= 1;
  misshapen[0].payload.resize(misshapen[0].payload.size() - 4);
  EXPECT_TRUE(engine->Execute(first, misshapen, {}, &out).IsInvalidArgument());
  EXPECT_TRUE(engine->Execute(first, inputs, hashes, &out).ok());
}

TEST(EngineFactoryTest, RejectsBadConfigsAndDevices) {
  ModelConfig config = Tiny();
  std::unique_ptr<Engine> engine;
  ModelConfig bad = config;
  bad.n_head = 3;
  EXPECT_TRUE(MakeTorchEngine(bad, EngineOptions{}, &engine).IsInvalidArgument());
  ModelConfig too_many = config;
  too_many.sections = 5000;
  EXPECT_TRUE(MakeTorchEngine(too_many, EngineOptions{}, &engine).IsInvalidArgument());
  EngineOptions tpu;
  tpu.device = "tpu";
  EXPECT_TRUE(MakeTorchEngine(config, tpu, &engine).IsNotSupported());
  if (!CudaAvailable()) {
    EngineOptions cuda;
    cuda.device = "cuda";
    EXPECT_TRUE(MakeTorchEngine(config, cuda, &engine).IsNotSupported());
  }
}

TEST(EngineGenerateTest, GreedyDecodingIsDeterministicAndBounded) {
  std::unique_ptr<Engine> engine = NewEngine(Tiny());
  const std::vector<std::string> prompts = {"12+34=", "99+1=", "7+8="};
  std::vector<std::string> a, b;
  ASSERT_TRUE(engine->Generate(prompts, 4, &a).ok());
  ASSERT_TRUE(engine->Generate(prompts, 4, &b).ok());
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), prompts.size());
  for (const std::string& out : a) {
    EXPECT_GE(out.size(), 1u);
    EXPECT_LE(out.size(), 4u);
    EXPECT_TRUE(out.size() == 4 || out.back() == '\n') << out;
  }
  const std::vector<std::string> empty = {""};
  EXPECT_TRUE(engine->Generate(empty, 4, &a).IsInvalidArgument());
}

}  // namespace
}  // namespace cc::compute
