// LocalStep's fast paths give the records of the plain ones: hashing in the
// background gives the hashes of hashing in line, units side by side on
// several threads give the outputs of one unit at a time, bit for bit, and
// the state a step commits (moved into the engine with its hashes) has the
// root a fresh engine computes from the same tensors.

#include "compute/local_step.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/torch/model.h"
#include "compute/torch/torch_engine.h"

namespace cc::compute {
namespace {

class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(TorchThreads()) { SetTorchThreads(n); }
  ~ThreadCount() { SetTorchThreads(saved_); }

 private:
  int saved_;
};

ModelConfig Config(Optimizer optimizer) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig("tiny", &config).ok());
  config.optimizer = optimizer;
  if (optimizer == Optimizer::kAdamW) {
    config.lr = 1e-3f;
    config.lr_min = 1e-4f;
  }
  EXPECT_TRUE(config.Validate().ok());
  return config;
}

// Every unit's outputs and their hashes, the losses and the state roots of
// `steps` steps run with `options`.
struct Records {
  std::vector<std::vector<EncodedTensor>> outputs;
  std::vector<std::vector<Uint256>> hashes;
  std::vector<float> losses;
  std::vector<Uint256> roots;
};

Records RunSteps(const ModelConfig& config, const Dataset& data, LocalStep::Options options,
             int steps) {
  EngineOptions engine_options;
  std::unique_ptr<Engine> engine;
  EXPECT_TRUE(MakeTorchEngine(config, engine_options, &engine).ok());
  Records run;
  for (int t = 0; t < steps; ++t) {
    LocalStep step(engine.get(), &data, static_cast<uint64_t>(t), options);
    const Status s = step.RunAll();
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (const PlannedUnit& unit : step.plan().units) {
      run.outputs.push_back(step.Result(unit.id)->outputs);
      run.hashes.push_back(*step.OutputHashes(unit.id));
    }
    run.losses.push_back(step.Loss());
    EXPECT_TRUE(step.Commit().ok());
    run.roots.push_back(engine->StateRoot());
  }
  return run;
}

class LocalStepTest : public testing::TestWithParam<Optimizer> {
 protected:
  void SetUp() override {
    config_ = Config(GetParam());
    ASSERT_TRUE(Dataset::Addition(2, &data_).ok());
  }
  ModelConfig config_;
  Dataset data_;
};

TEST_P(LocalStepTest, BackgroundHashingGivesTheInlineHashes) {
  ThreadCount one(1);
  LocalStep::Options inline_hashing;
  inline_hashing.hash_in_background = false;
  const Records a = RunSteps(config_, data_, inline_hashing, 3);
  // Every output goes to the hasher, and a FORWARD or BACKWARD runs on ids
  // of inputs the hasher has not reached (ExecuteIds): the same records.
  const Records b = RunSteps(config_, data_, LocalStep::Options{}, 3);
  ASSERT_EQ(a.hashes.size(), b.hashes.size());
  for (size_t i = 0; i < a.hashes.size(); ++i) {
    EXPECT_EQ(a.outputs[i], b.outputs[i]) << i;
    EXPECT_EQ(a.hashes[i], b.hashes[i]) << i;
    for (size_t j = 0; j < a.hashes[i].size(); ++j) {
      EXPECT_EQ(a.hashes[i][j], a.outputs[i][j].Hash()) << i;  // and they are the tensors' ids
    }
  }
  EXPECT_EQ(a.roots, b.roots);
}

// The inputs of a unit whose producer's outputs are still in the hashing
// queue: Inputs waits for the hasher and hands over the hashes it made.
// Before, Resolve took the address of the producer's hash while its hash
// vector was still empty, and the hasher then replaced that vector: the
// claim read a stale address (a crash 1 run in ~15 of EngineTest's
// claims, which ask right after running).
TEST_P(LocalStepTest, InputsAskedWhileTheirProducerIsHashedGetItsHashes) {
  ThreadCount one(1);
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &engine).ok());
  for (int attempt = 0; attempt < 50; ++attempt) {
    LocalStep step(engine.get(), &data_, 0, LocalStep::Options{});
    const PlannedUnit& first = step.plan().units[0];
    const PlannedUnit* reader = nullptr;
    for (const PlannedUnit& unit : step.plan().units)
      for (const UnitInput& input : unit.inputs)
        if (reader == nullptr && input.source.kind == Source::Kind::kUnit &&
            input.source.unit == first.id)
          reader = &unit;
    ASSERT_NE(reader, nullptr);
    ASSERT_TRUE(step.Run(first.id).ok());
    std::vector<EncodedTensor> tensors;
    std::vector<Uint256> hashes;
    ASSERT_TRUE(step.Inputs(reader->id, &tensors, &hashes).ok());  // at once: still queued
    ASSERT_EQ(tensors.size(), hashes.size());
    for (size_t i = 0; i < tensors.size(); ++i)
      ASSERT_EQ(hashes[i], tensors[i].Hash()) << "attempt " << attempt << ", input " << i;
  }
}

TEST_P(LocalStepTest, UnitsSideBySideGiveTheSequentialRecords) {
  ThreadCount one(1);  // the sequential run's units then use one thread, as the workers do
  const Records sequential = RunSteps(config_, data_, LocalStep::Options{}, 3);
  for (int threads : {2, 3}) {
    LocalStep::Options options;
    options.threads = threads;
    const Records parallel = RunSteps(config_, data_, options, 3);
    ASSERT_EQ(parallel.hashes.size(), sequential.hashes.size());
    for (size_t i = 0; i < sequential.hashes.size(); ++i) {
      EXPECT_EQ(parallel.outputs[i], sequential.outputs[i]) << threads << " threads, unit " << i;
      EXPECT_EQ(parallel.hashes[i], sequential.hashes[i]) << threads << " threads, unit " << i;
    }
    EXPECT_EQ(parallel.losses, sequential.losses);
    EXPECT_EQ(parallel.roots, sequential.roots) << threads << " threads";
  }
  EXPECT_EQ(TorchThreads(), 1);  // the workers' setting stayed on their threads
}

// A committed step hands its UPDATE outputs to the engine with their hashes;
// the root is the one an engine computes hashing the same tensors itself.
TEST_P(LocalStepTest, CommittedHashesAreTheTensorsHashes) {
  const Records run = RunSteps(config_, data_, LocalStep::Options{}, 1);
  std::unique_ptr<Engine> engine, fresh;
  ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &engine).ok());
  ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &fresh).ok());
  LocalStep step(engine.get(), &data_, 0);
  ASSERT_TRUE(step.RunAll().ok());
  ASSERT_TRUE(step.Commit().ok());
  EXPECT_EQ(engine->StateRoot(), run.roots[0]);
  for (uint32_t s = 0; s < config_.sections; ++s) {
    EncodedTensor w, state;
    ASSERT_TRUE(engine->ExportSection(s, &w, &state).ok());
    const EncodedTensor *view_w = nullptr, *view_state = nullptr;
    Uint256 hashes[2];
    ASSERT_TRUE(engine->ViewSection(s, &view_w, &view_state, hashes).ok());
    EXPECT_EQ(*view_w, w);
    EXPECT_EQ(hashes[0], w.Hash());
    EXPECT_EQ(hashes[1], state.Hash());
    ASSERT_TRUE(fresh->ImportSection(s, w, state).ok());
  }
  EXPECT_EQ(fresh->StateRoot(), engine->StateRoot());
  // The committed step no longer reads the state it replaced.
  std::vector<EncodedTensor> tensors;
  std::vector<Uint256> hashes;
  EXPECT_FALSE(step.Inputs(step.plan().units.front().id, &tensors, &hashes).ok());
}

TEST_P(LocalStepTest, AFailingUnitStopsTheParallelRun) {
  LocalStep::Options options;
  options.threads = 2;
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &engine).ok());
  // Weights that overflow to infinity in the first FORWARD: no finite output.
  for (uint32_t s = 0; s < config_.sections; ++s) {
    EncodedTensor w, state;
    ASSERT_TRUE(engine->ExportSection(s, &w, &state).ok());
    std::vector<float> big(w.payload.size() / 4, 3e38f);
    ASSERT_TRUE(engine->ImportSection(s, EncodeFloats(big, w.shape, Codec::kFloat32), state).ok());
  }
  LocalStep step(engine.get(), &data_, 0, options);
  EXPECT_TRUE(step.RunAll().IsInvalidArgument());
}

INSTANTIATE_TEST_SUITE_P(Optimizers, LocalStepTest,
                         testing::Values(Optimizer::kSgd, Optimizer::kAdamW),
                         [](const testing::TestParamInfo<Optimizer>& param_info) {
                           return std::string(param_info.param == Optimizer::kSgd ? "sgd"
                                                                                  : "adamw");
                         });

}  // namespace
}  // namespace cc::compute
