#include "compute/evaluate.h"

#include <gtest/gtest.h>

#include <memory>

#include "compute/dataset.h"
#include "compute/local_step.h"
#include "compute/torch/torch_engine.h"

namespace cc::compute {
namespace {

std::unique_ptr<Engine> TinyEngine() {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig("tiny", &config).ok());
  std::unique_ptr<Engine> engine;
  EXPECT_TRUE(MakeTorchEngine(config, EngineOptions{}, &engine).ok());
  return engine;
}

TEST(EvaluateTest, AnUntrainedModelSolvesNothing) {
  std::unique_ptr<Engine> engine = TinyEngine();
  Evaluation eval;
  ASSERT_TRUE(EvaluateAddition(engine.get(), 2, 100, /*seed=*/1, &eval).ok());
  EXPECT_EQ(eval.problems, 100u);
  EXPECT_EQ(eval.correct, 0u);
  EXPECT_EQ(eval.accuracy(), 0.0);
}

TEST(EvaluateTest, ScoresTheEnginesCurrentWeights) {
  std::unique_ptr<Engine> engine = TinyEngine();
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  std::vector<std::string> before, after;
  const std::vector<std::string> prompt = {"12+34="};
  ASSERT_TRUE(engine->Generate(prompt, 4, &before).ok());
  for (uint64_t t = 0; t < 20; ++t) {
    LocalStep step(engine.get(), &data, t);
    ASSERT_TRUE(step.RunAll().ok());
    ASSERT_TRUE(step.Commit().ok());
  }
  ASSERT_TRUE(engine->Generate(prompt, 4, &after).ok());
  EXPECT_NE(before, after);  // training changed what the model says
  Evaluation eval;
  ASSERT_TRUE(EvaluateAddition(engine.get(), 2, 50, /*seed=*/1, &eval).ok());
  EXPECT_EQ(eval.problems, 50u);
  EXPECT_LE(eval.correct, eval.problems);
}

TEST(EvaluateTest, RejectsBadDigitCounts) {
  std::unique_ptr<Engine> engine = TinyEngine();
  Evaluation eval;
  EXPECT_TRUE(EvaluateAddition(engine.get(), 0, 10, 1, &eval).IsInvalidArgument());
  EXPECT_TRUE(
      EvaluateAddition(engine.get(), kMaxAdditionDigits + 1, 10, 1, &eval).IsInvalidArgument());
}

}  // namespace
}  // namespace cc::compute
