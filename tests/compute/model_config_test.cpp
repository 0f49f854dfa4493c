#include "compute/model_config.h"

#include <gtest/gtest.h>

#include <cmath>

#include "chain/hex.h"
#include "chain/serialize.h"

namespace cc::compute {
namespace {

ModelConfig Preset(std::string_view name) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig(name, &config).ok()) << name;
  return config;
}

TEST(ModelConfigTest, EveryPresetValidates) {
  for (std::string_view name : PresetNames()) {
    const Status s = Preset(name).Validate();
    EXPECT_TRUE(s.ok()) << name << ": " << s.ToString();
  }
}

TEST(ModelConfigTest, UnknownPresetIsNotFound) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig("gpt5", &config).IsNotFound());
}

TEST(ModelConfigTest, DevnetIsTheShapeDesignMeasured) {
  const ModelConfig devnet = Preset("devnet");
  EXPECT_EQ(devnet.n_layer, 4u);
  EXPECT_EQ(devnet.d_model, 128u);
  EXPECT_EQ(devnet.n_head, 4u);
  EXPECT_EQ(devnet.context, 16u);
  EXPECT_EQ(devnet.batch * devnet.lanes, 64u);
  EXPECT_EQ(devnet.optimizer, Optimizer::kAdamW);
  // wte + wpe + 4 × (attention + MLP) + head
  EXPECT_EQ(devnet.NumParams(),
            256u * 128 + 16 * 128 +
                4 * (3 * 128 * 128 + 2 * 128 + 128 * 128 + 128 + 2 * 512 * 128 + 512 + 128) +
                256 * 128 + 256);
}

// Genesis commits to these bytes (doc/consensus.md §1.1 prints them, so a
// second implementation can rebuild genesis without this source): a change
// to a preset's values or to the encoding shows here first.
TEST(ModelConfigTest, PresetEncodingsAreTheDocumentedBytes) {
  const std::pair<const char*, const char*> golden[] = {
      {"tiny",
       "0474696e7902000000200000000400000080000000100000000800000002000000030000000200000002"
       "000000000ad7a33c0ad7a33c00000000000000006666663f77be7f3f77cc2b320000000017b7d1380100"
       "00000000000000"},
      {"devnet",
       "066465766e657404000000800000000400000000020000100000002000000002000000040000000200"
       "000002000000016f12833a17b7513864000000941100006666663f77be7f3f77cc2b320000000017b7"
       "d138d9d834010000000000"},
  };
  for (const auto& [name, hex] : golden) {
    ModelConfig config;
    ASSERT_TRUE(PresetConfig(name, &config).ok());
    EXPECT_EQ(HexStr(Serialize(config)), hex) << name;
  }
}

TEST(ModelConfigTest, SerializationRoundTrips) {
  const ModelConfig devnet = Preset("devnet");
  ModelConfig decoded;
  ASSERT_TRUE(Deserialize(Serialize(devnet), &decoded).ok());
  EXPECT_EQ(decoded, devnet);
  EXPECT_EQ(decoded.Hash(), devnet.Hash());
}

TEST(ModelConfigTest, HashCommitsToEveryField) {
  const ModelConfig base = Preset("tiny");
  ModelConfig changed = base;
  changed.seed += 1;
  EXPECT_NE(changed.Hash(), base.Hash());
  changed = base;
  changed.tolerance *= 2;
  EXPECT_NE(changed.Hash(), base.Hash());
  changed = base;
  changed.query_segments += 1;
  EXPECT_NE(changed.Hash(), base.Hash());
  EXPECT_NE(Preset("tiny").Hash(), Preset("devnet").Hash());
}

TEST(ModelConfigTest, DecodingRejectsUnknownOptimizer) {
  std::vector<uint8_t> bytes = Serialize(Preset("tiny"));
  // The optimizer byte follows name (1 + 4 bytes) and ten u32 fields.
  const size_t at = 1 + 4 + 10 * 4;
  ASSERT_EQ(bytes[at], static_cast<uint8_t>(Optimizer::kSgd));
  bytes[at] = 2;
  ModelConfig decoded;
  const Status s = Deserialize(bytes, &decoded);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ(s.message(), "bad-optimizer");
}

TEST(ModelConfigTest, DecodingRejectsTrailingBytes) {
  std::vector<uint8_t> bytes = Serialize(Preset("tiny"));
  bytes.push_back(0);
  ModelConfig decoded;
  EXPECT_TRUE(Deserialize(bytes, &decoded).IsCorruption());
}

TEST(ModelConfigTest, ValidateNamesTheBadField) {
  struct Case {
    void (*mutate)(ModelConfig*);
    const char* field;
  };
  const Case cases[] = {
      {[](ModelConfig* c) { c->n_head = 3; }, "n_head"},
      {[](ModelConfig* c) { c->n_layer = 0; }, "n_layer"},
      {[](ModelConfig* c) { c->head_groups = 5; }, "head_groups"},
      {[](ModelConfig* c) { c->query_segments = 17; }, "query_segments"},
      {[](ModelConfig* c) { c->lr = 0; }, "lr"},
      {[](ModelConfig* c) { c->lr = NAN; }, "lr"},
      {[](ModelConfig* c) { c->lr_min = 1; }, "lr_min"},
      {[](ModelConfig* c) { c->warmup_steps = 10, c->decay_steps = 5; }, "decay_steps"},
      {[](ModelConfig* c) { c->beta2 = 1; }, "beta2"},
      {[](ModelConfig* c) { c->tolerance = 0; }, "tolerance"},
      {[](ModelConfig* c) { c->batch = kMaxBatch + 1; }, "batch"},
      {[](ModelConfig* c) { c->sections = 0; }, "sections"},
  };
  for (const Case& c : cases) {
    ModelConfig config = Preset("tiny");
    c.mutate(&config);
    const Status s = config.Validate();
    EXPECT_TRUE(s.IsInvalidArgument()) << c.field;
    EXPECT_NE(s.message().find(c.field), std::string::npos) << s.message();
  }
}

TEST(ModelConfigTest, LearningRateWarmsUpThenDecays) {
  ModelConfig config = Preset("devnet");
  config.lr = 1e-3f;
  config.lr_min = 1e-4f;
  config.warmup_steps = 10;
  config.decay_steps = 110;
  EXPECT_FLOAT_EQ(config.LearningRate(0), 1e-4f);  // 1/10 of the peak
  EXPECT_FLOAT_EQ(config.LearningRate(9), 1e-3f);
  EXPECT_FLOAT_EQ(config.LearningRate(10), 1e-3f);                  // cosine starts at the peak
  EXPECT_NEAR(config.LearningRate(60), 0.5 * (1e-3 + 1e-4), 1e-9);  // half way
  EXPECT_FLOAT_EQ(config.LearningRate(110), 1e-4f);
  EXPECT_FLOAT_EQ(config.LearningRate(100000), 1e-4f);
  for (uint64_t t = 10; t < 110; ++t) EXPECT_GE(config.LearningRate(t), config.LearningRate(t + 1));
}

TEST(ModelConfigTest, LearningRateIsConstantWithoutDecay) {
  const ModelConfig tiny = Preset("tiny");
  ASSERT_EQ(tiny.decay_steps, 0u);
  EXPECT_EQ(tiny.LearningRate(0), tiny.lr);
  EXPECT_EQ(tiny.LearningRate(12345), tiny.lr);
}

}  // namespace
}  // namespace cc::compute
