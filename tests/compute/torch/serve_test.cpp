// Serving (compute/serve.h) and decoding (compute/decode.h): KV-cached,
// incremental decoding through a chain of section servers gives
// GenerateGreedy's tokens; streams match a cache-free prefill; sessions are
// bounded.

#include "compute/serve.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <thread>

#include "compute/decode.h"
#include "compute/engine.h"
#include "compute/reference_backend.h"
#include "compute/torch/model.h"
#include "compute/torch/torch_engine.h"
#include "tests/util/test_util.h"

namespace cc::compute {
namespace {

ModelConfig Tiny() {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig("tiny", &config).ok());
  return config;
}

// Weights with structure beyond the initial ones' (whose logits are nearly
// flat): a few SGD-free perturbations of InitialParams drawn from a fixed seed.
ParamValues SpreadParams(const ModelConfig& config) {
  ParamValues params = InitialParams(config);
  std::mt19937_64 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (std::vector<float>& p : params)
    for (float& x : p) x += noise(rng);
  return params;
}

Uint256 SessionId(uint8_t n) {
  Uint256 id;
  id.data()[0] = n;
  return id;
}

class ServeTest : public testing::Test {
 protected:
  void SetUp() override {
    config_ = Tiny();
    params_ = SpreadParams(config_);
    ASSERT_TRUE(PartitionModel(config_, config_.sections, &partition_).ok());
  }

  std::unique_ptr<SectionServer> Server(uint32_t begin, uint32_t end,
                                        const ServeLimits& limits = {}) {
    EXPECT_TRUE(CheckServeRange(partition_, begin, end).ok());
    return MakeTorchSectionServer(config_, partition_, params_, "cpu", begin, end, limits);
  }

  ModelConfig config_;
  ParamValues params_;
  Partition partition_;
};

TEST_F(ServeTest, RangesCoverWholeAtoms) {
  EXPECT_TRUE(CheckServeRange(partition_, 0, 3).ok());
  EXPECT_TRUE(CheckServeRange(partition_, 1, 2).ok());
  EXPECT_EQ(CheckServeRange(partition_, 2, 2).message(),
            "bad-serve-range: [2, 2) is not a range of the 3 sections");
  EXPECT_TRUE(CheckServeRange(partition_, 0, 4).IsInvalidArgument());
  // Cut finer than its atoms, tiny's HEAD stays whole while others are sharded.
  Partition fine;
  ASSERT_TRUE(PartitionModel(config_, 12, &fine).ok());
  uint32_t splitting = 0;
  for (uint32_t s = 0; s < fine.sections.size(); ++s) {
    const Piece& p = fine.sections[s].pieces.front();
    if (p.shards > 1 && p.shard + 1 < p.shards) {
      EXPECT_EQ(CheckServeRange(fine, s, s + 1).message(),
                "bad-serve-range: [" + std::to_string(s) + ", " + std::to_string(s + 1) +
                    ") splits a sharded atom");
      ++splitting;
    }
  }
  EXPECT_GT(splitting, 0u) << fine.ToString();
  EXPECT_TRUE(CheckServeRange(fine, 0, 12).ok());
}

// The property the routed path rests on: the cached, incremental decoding
// through hops chooses exactly GenerateGreedy's tokens, also once the
// sequence is longer than the context and the window slides.
TEST_F(ServeTest, CachedDecodingThroughHopsEqualsGenerateGreedy) {
  auto a = Server(0, 1), b = Server(1, 2), c = Server(2, 3);
  auto whole = Server(0, 3);
  for (const std::string prompt : {"1", "12+34=", "a prompt longer than T=16 bytes"}) {
    std::vector<std::string> expected;
    const std::string prompts[] = {prompt};
    ASSERT_TRUE(GenerateGreedy(config_, params_, "cpu", prompts, 24, &expected).ok());
    DecodeOptions options;
    options.max_tokens = 24;
    options.stop = {"\n"};  // GenerateGreedy stops after a newline too
    for (SectionServer* hop : {a.get(), b.get(), c.get(), whole.get()})
      hop->EndSession(SessionId(1));
    for (auto hops : {std::vector<SectionServer*>{a.get(), b.get(), c.get()},
                      std::vector<SectionServer*>{whole.get()}}) {
      LocalRoute chain(hops, SessionId(1));
      DecodeResult result;
      std::string streamed;
      ASSERT_TRUE(Decode(
                      config_.context, prompt, options, &chain,
                      [&](uint8_t t) {
                        streamed.push_back(static_cast<char>(t));
                        return true;
                      },
                      &result)
                      .ok());
      EXPECT_EQ(streamed, expected[0]) << prompt;
      EXPECT_EQ(result.text + (result.stopped ? "\n" : ""), expected[0]) << prompt;
    }
  }
  // 24 tokens after a 1-byte prompt: 16 positions cached one at a time, then
  // the window slid 9 times (16 positions each).
  EXPECT_GE(a->Stats().positions, 1u + 15u + 9u * 16u);
}

// Hidden states: feeding positions one at a time with the cache gives the
// stream a single cache-free prefill gives, within rounding.
TEST_F(ServeTest, IncrementalStreamMatchesPrefill) {
  auto first = Server(0, 2);  // EMB … up to the hop before HEAD
  const std::string text = "0123456789+-=abc";
  ASSERT_EQ(text.size(), config_.context);
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  EncodedTensor prefill;
  ASSERT_TRUE(
      first
          ->Step(SessionId(1), 0, EncodeBytes(bytes, std::vector<uint64_t>{bytes.size()}), &prefill)
          .ok());
  std::vector<float> whole;
  ASSERT_TRUE(DecodeFloats(prefill, &whole).ok());
  double worst = 0;
  for (uint32_t p = 0; p < bytes.size(); ++p) {
    EncodedTensor row;
    ASSERT_TRUE(
        first->Step(SessionId(2), p, EncodeBytes({&bytes[p], 1}, std::vector<uint64_t>{1}), &row)
            .ok());
    ASSERT_EQ(row.shape, (std::vector<uint64_t>{1, config_.d_model}));
    std::vector<float> got;
    ASSERT_TRUE(DecodeFloats(row, &got).ok());
    const std::vector<float> want(whole.begin() + p * config_.d_model,
                                  whole.begin() + (p + 1) * config_.d_model);
    worst = std::max(worst, test::RelativeL2(got, want));
  }
  // Measured 6.0e-7 (summation order of differently shaped matmuls).
  EXPECT_LT(worst, 3e-6);
}

TEST_F(ServeTest, RefusesMalformedSteps) {
  auto first = Server(0, 1), middle = Server(1, 2);
  EncodedTensor out;
  const std::vector<uint8_t> two = {'a', 'b'};
  const EncodedTensor tokens = EncodeBytes(two, std::vector<uint64_t>{2});
  EXPECT_EQ(middle->Step(SessionId(1), 0, tokens, &out).message(),
            "bad-serve-input: expected a (t, C) fp32 stream");
  const std::vector<float> wide(3 * (config_.d_model + 1), 0.5f);
  EXPECT_TRUE(
      middle
          ->Step(SessionId(1), 0,
                 EncodeFloats(wide, std::vector<uint64_t>{3, config_.d_model + 1}, Codec::kFloat32),
                 &out)
          .IsInvalidArgument());
  EXPECT_EQ(first->Step(SessionId(1), 15, tokens, &out).message(),
            "bad-serve-input: positions [15, 17) are not within the context of 16");
  EXPECT_TRUE(first->Step(SessionId(1), 0, EncodeBytes({}, std::vector<uint64_t>{0}), &out)
                  .IsInvalidArgument());
  EXPECT_TRUE(first->Step(SessionId(1), 3, tokens, &out).IsNotFound());
  ASSERT_TRUE(first->Step(SessionId(1), 0, tokens, &out).ok());
  EXPECT_EQ(first->Step(SessionId(1), 3, tokens, &out).message(),
            "bad-serve-position: the session holds 2 positions, not 3");
  EXPECT_TRUE(first->Step(SessionId(1), 2, tokens, &out).ok());
  EXPECT_EQ(first->Stats().positions, 4u);
}

TEST_F(ServeTest, SessionsAreBoundedByCountAndIdleTime) {
  ServeLimits limits;
  limits.max_sessions = 2;
  auto hop = Server(0, 1, limits);
  const std::vector<uint8_t> one = {'x'};
  const EncodedTensor token = EncodeBytes(one, std::vector<uint64_t>{1});
  EncodedTensor out;
  for (uint8_t s = 1; s <= 3; ++s) ASSERT_TRUE(hop->Step(SessionId(s), 0, token, &out).ok());
  EXPECT_EQ(hop->Stats().sessions, 2u);
  EXPECT_EQ(hop->Stats().sessions_evicted, 1u);
  EXPECT_TRUE(hop->Step(SessionId(1), 1, token, &out).IsNotFound());  // the least recently used
  EXPECT_TRUE(hop->Step(SessionId(3), 1, token, &out).ok());
  EXPECT_TRUE(hop->EndSession(SessionId(3)));
  EXPECT_FALSE(hop->EndSession(SessionId(3)));

  limits.session_timeout = std::chrono::milliseconds(1);
  auto quick = Server(0, 1, limits);
  ASSERT_TRUE(quick->Step(SessionId(1), 0, token, &out).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(quick->Step(SessionId(1), 1, token, &out).IsNotFound());
  EXPECT_EQ(quick->Stats().sessions_evicted, 1u);
}

TEST_F(ServeTest, EngineServesItsCurrentWeights) {
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &engine).ok());
  std::unique_ptr<SectionServer> server;
  EXPECT_TRUE(engine->MakeSectionServer(1, 1, ServeLimits{}, &server).IsInvalidArgument());
  EXPECT_EQ(server, nullptr);
  ASSERT_TRUE(engine->MakeSectionServer(0, 3, ServeLimits{}, &server).ok());
  std::vector<std::string> expected;
  const std::string prompts[] = {"7+8="};
  ASSERT_TRUE(engine->Generate(prompts, 6, &expected).ok());
  LocalRoute chain({server.get()}, SessionId(1));
  DecodeOptions options;
  options.max_tokens = 6;
  options.stop = {"\n"};
  DecodeResult result;
  ASSERT_TRUE(Decode(config_.context, prompts[0], options, &chain, {}, &result).ok());
  EXPECT_EQ(result.text + (result.stopped ? "\n" : ""), expected[0]);
}

// The arbiter of a holder's answer (ReferenceBackend::Serve, for evidence of
// a wrong inference output): recomputing a session from scratch in the
// reference arithmetic gives what a cached libtorch server answered at its
// last step, within rounding, for every hop shape — embedding, middle, head,
// the whole model, and a finer cut whose atoms are sharded across sections.
TEST_F(ServeTest, ReferenceServeMatchesTheCachedServer) {
  const std::string text = "12+345=6789";  // 11 positions, stepped as 5 + 3 + 3
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  for (const uint32_t sections : {config_.sections, 12u}) {
    ModelConfig config = config_;
    config.sections = sections;
    Partition partition;
    ASSERT_TRUE(PartitionModel(config, sections, &partition).ok());
    const ReferenceBackend reference(config, partition);
    std::vector<std::pair<uint32_t, uint32_t>> hops = {{0, sections}};
    if (sections == config_.sections) hops.insert(hops.end(), {{0, 1}, {1, 2}, {2, 3}});
    for (const auto& [begin, end] : hops) {
      auto server = MakeTorchSectionServer(config, partition, params_, "cpu", begin, end, {});
      // The hop's input: token ids for the first hop, else a stream with
      // structure (the first hops' own output).
      EncodedTensor input = EncodeBytes(bytes, std::vector<uint64_t>{bytes.size()});
      if (begin > 0) {
        auto embed = MakeTorchSectionServer(config, partition, params_, "cpu", 0, begin, {});
        ASSERT_TRUE(embed->Step(SessionId(9), 0, EncodedTensor(input), &input).ok());
      }
      const uint64_t row_bytes = input.payload.size() / bytes.size();
      EncodedTensor cached;
      uint32_t position = 0;
      for (const uint32_t rows : {5u, 3u, 3u}) {
        EncodedTensor step = input;
        step.shape[0] = rows;
        step.payload.assign(input.payload.begin() + position * row_bytes,
                            input.payload.begin() + (position + rows) * row_bytes);
        ASSERT_TRUE(server->Step(SessionId(1), position, step, &cached).ok());
        position += rows;
      }
      EncodedTensor served, again;
      ASSERT_TRUE(reference.Serve(params_, begin, end, input, 3, &served).ok());
      ASSERT_EQ(served.shape, cached.shape) << begin << ".." << end;
      // Measured 3.5e-7 at worst (libtorch's summation order against ours).
      EXPECT_LT(RelativeL2(served, cached), 1e-6) << begin << ".." << end << " of " << sections;
      ASSERT_TRUE(reference.Serve(params_, begin, end, input, 3, &again).ok());
      EXPECT_EQ(again, served);
    }
  }
}

class JudgeAnswerTest : public ServeTest {
 protected:
  void SetUp() override {
    ServeTest::SetUp();
    ASSERT_TRUE(MakeTorchEngine(config_, EngineOptions{}, &engine_).ok());
    for (const Section& section : partition_.sections)
      weights_.push_back(EncodeFloats(GatherSection(config_, section, params_),
                                      std::vector<uint64_t>{section.num_params},
                                      Codec::kFloat32));
  }
  // `t` scaled by 1 + a: at relative L2 a / (1 + a) from it.
  static std::vector<uint8_t> AtDistance(const EncodedTensor& t, double d) {
    std::vector<float> values;
    EXPECT_TRUE(DecodeFloats(t, &values).ok());
    const double a = d / (1 - d);
    for (float& v : values) v = static_cast<float>(v * (1 + a));
    return EncodeFloats(values, t.shape, t.codec).payload;
  }

  std::unique_ptr<Engine> engine_;
  std::vector<EncodedTensor> weights_;
};

// The verdict every node reaches on a holder's answer: an honest cached
// answer is right, one 5% off is wrong without the arbiter, and within the
// band ε(1 ± δ) the reference arithmetic decides, on either side of ε.
TEST_F(JudgeAnswerTest, DecidesLikeVerifyWithTheArbiterNearEpsilon) {
  const std::string text = "12+34=5";
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  const EncodedTensor tokens = EncodeBytes(bytes, std::vector<uint64_t>{bytes.size()});
  for (const auto& [begin, end] : {std::pair{0u, 3u}, std::pair{0u, 2u}}) {
    auto server = Server(begin, end);
    EncodedTensor step_one = EncodeBytes({bytes.data(), 4}, std::vector<uint64_t>{4}), answer;
    EncodedTensor step_two = EncodeBytes({bytes.data() + 4, 3}, std::vector<uint64_t>{3});
    ASSERT_TRUE(server->Step(SessionId(1), 0, step_one, &answer).ok());
    ASSERT_TRUE(server->Step(SessionId(1), 4, step_two, &answer).ok());
    const std::span<const EncodedTensor> hop(weights_.data() + begin, end - begin);
    const double eps = config_.tolerance;
    const uint64_t arbiter_runs = engine_->ArbiterRuns();
    bool wrong = true;
    double distance = 1;
    ASSERT_TRUE(
        engine_->JudgeAnswer(begin, end, hop, tokens, 3, answer.payload, &wrong, &distance).ok());
    EXPECT_FALSE(wrong);
    EXPECT_LT(distance, 1e-6);
    ASSERT_TRUE(engine_
                    ->JudgeAnswer(begin, end, hop, tokens, 3, AtDistance(answer, 0.05), &wrong,
                                  &distance)
                    .ok());
    EXPECT_TRUE(wrong);
    EXPECT_NEAR(distance, 0.05, 1e-6);
    EXPECT_EQ(engine_->ArbiterRuns(), arbiter_runs);
    for (const double at : {0.95, 1.05}) {
      ASSERT_TRUE(engine_
                      ->JudgeAnswer(begin, end, hop, tokens, 3, AtDistance(answer, at * eps),
                                    &wrong, &distance)
                      .ok());
      EXPECT_EQ(wrong, at > 1) << at;
      EXPECT_NEAR(distance, at * eps, 1e-6) << at;
    }
    EXPECT_EQ(engine_->ArbiterRuns(), arbiter_runs + 2);
    // An answer of another size is wrong.
    std::vector<uint8_t> short_answer = answer.payload;
    short_answer.resize(short_answer.size() - 4);
    ASSERT_TRUE(
        engine_->JudgeAnswer(begin, end, hop, tokens, 3, short_answer, &wrong, &distance).ok());
    EXPECT_TRUE(wrong);
  }
}

TEST_F(JudgeAnswerTest, RefusesMalformedEvidence) {
  const std::vector<uint8_t> two = {'a', 'b'};
  const EncodedTensor tokens = EncodeBytes(two, std::vector<uint64_t>{2});
  const std::vector<uint8_t> answer(4 * kVocab, 0);
  bool wrong = false;
  double distance = 0;
  auto judge = [&](uint32_t begin, uint32_t end, std::span<const EncodedTensor> weights,
                   const EncodedTensor& input, uint32_t rows) {
    return engine_->JudgeAnswer(begin, end, weights, input, rows, answer, &wrong, &distance);
  };
  EXPECT_EQ(judge(0, 3, weights_, tokens, 2).ToString(), "OK");
  EXPECT_EQ(judge(0, 3, std::span(weights_).first(2), tokens, 1).message(),
            "expected the weights of 3 sections, got 2");
  const std::vector<EncodedTensor> swapped = {weights_[1], weights_[0], weights_[2]};
  EXPECT_TRUE(judge(0, 3, swapped, tokens, 1).IsInvalidArgument());
  EXPECT_TRUE(judge(0, 4, weights_, tokens, 1).IsInvalidArgument());
  EXPECT_EQ(judge(0, 3, weights_, tokens, 3).message(),
            "input: 2 positions and a last step of 3 rows, for a context of 16");
  EXPECT_TRUE(judge(0, 3, weights_, tokens, 0).IsInvalidArgument());
  EXPECT_EQ(judge(1, 3, std::span(weights_).subspan(1), tokens, 1).message(),
            "input: expected a (P, C) fp32 stream");
  const std::vector<uint8_t> long_prompt(config_.context + 1, 'x');
  EXPECT_TRUE(judge(0, 3, weights_,
                    EncodeBytes(long_prompt, std::vector<uint64_t>{long_prompt.size()}), 1)
                  .IsInvalidArgument());
}

// Sampling is a pure function of the logits and the seed.
TEST_F(ServeTest, SampledDecodingIsSeeded) {
  auto whole = Server(0, 3);
  DecodeOptions options;
  options.max_tokens = 12;
  options.temperature = 1.0;
  options.top_p = 0.9;
  auto run = [&](uint64_t seed) {
    options.seed = seed;
    LocalRoute chain({whole.get()}, SessionId(1));
    DecodeResult result;
    EXPECT_TRUE(Decode(config_.context, "9+9=", options, &chain, {}, &result).ok());
    return result.tokens;
  };
  EXPECT_EQ(run(1), run(1));
  EXPECT_NE(run(1), run(2));
}

}  // namespace
}  // namespace cc::compute
