#include "compute/params.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>

#include "chain/hash.h"
#include "chain/serialize.h"

namespace cc::compute {
namespace {

std::vector<float> Stream(uint64_t seed, const std::string& name, uint64_t first, size_t n) {
  std::vector<float> out(n);
  NormalStream(seed, name, first, 1.0, out);
  return out;
}

TEST(NormalStreamTest, IsAPureFunctionOfSeedNameAndIndex) {
  EXPECT_EQ(Stream(7, "wte", 0, 100), Stream(7, "wte", 0, 100));
  const std::vector<float> whole = Stream(7, "wte", 0, 100);
  const std::vector<float> tail = Stream(7, "wte", 37, 63);
  EXPECT_TRUE(std::equal(tail.begin(), tail.end(), whole.begin() + 37));
  EXPECT_NE(Stream(7, "wte", 0, 16), Stream(8, "wte", 0, 16));
  EXPECT_NE(Stream(7, "wte", 0, 16), Stream(7, "wpe", 0, 16));
}

// Golden values: the stream must never change, or every genesis state root
// changes with it. Bits of binary32, element 0..3 of (seed 1, "wte").
TEST(NormalStreamTest, GoldenValues) {
  const std::vector<float> z = Stream(1, "wte", 0, 4);
  const uint32_t golden[4] = {0xbfed6f69, 0xbf8da7a2, 0x3fcc0cc8,
                              0xbf5ab79b};  // ≈ -1.855, -1.107, 1.594, -0.854
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(std::bit_cast<uint32_t>(z[i]), golden[i]) << i << ": " << z[i];
}

// Our series for ln, cos and sin against libm's, on the same random bits:
// Box–Muller with std::log/std::cos/std::sin must agree to binary32 rounding.
TEST(NormalStreamTest, AgreesWithLibmBoxMuller) {
  const uint64_t seed = 42;
  const std::string name = "h.0.mlp.w_fc";
  uint8_t seed_le[8];
  std::memcpy(seed_le, &seed, 8);
  const Uint256 key =
      Sha256::Tagged(tags::kWeightInit).Write(seed_le).Write(Serialize(name)).Finalize();
  const std::vector<float> ours = Stream(seed, name, 0, 8 * 500);
  for (uint64_t block = 0; block < 500; ++block) {
    uint8_t input[40];
    std::memcpy(input, key.data(), 32);
    std::memcpy(input + 32, &block, 8);
    const Uint256 bits = Sha256Hash(input);
    for (int p = 0; p < 4; ++p) {
      uint32_t a = 0, b = 0;
      std::memcpy(&a, bits.data() + 8 * p, 4);
      std::memcpy(&b, bits.data() + 8 * p + 4, 4);
      const double u1 = (a + 1.0) / 4294967296.0, u2 = b / 4294967296.0;
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double angle = 2.0 * std::numbers::pi * u2;
      EXPECT_NEAR(ours[8 * block + 2 * p], r * std::cos(angle), 1e-6 * std::max(1.0, r));
      EXPECT_NEAR(ours[8 * block + 2 * p + 1], r * std::sin(angle), 1e-6 * std::max(1.0, r));
    }
  }
}

TEST(NormalStreamTest, LooksStandardNormal) {
  const std::vector<float> z = Stream(3, "stats", 0, 200000);
  double sum = 0, sum_sq = 0;
  size_t beyond_two = 0;
  for (float x : z) {
    sum += x;
    sum_sq += static_cast<double>(x) * x;
    beyond_two += std::abs(x) > 2.0f;
  }
  const double mean = sum / z.size(), var = sum_sq / z.size() - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.01);
  EXPECT_NEAR(static_cast<double>(beyond_two) / z.size(), 0.0455, 0.003);  // P(|z| > 2)
}

TEST(InitialParamsTest, FollowTheTable) {
  ModelConfig config;
  ASSERT_TRUE(PresetConfig("devnet", &config).ok());
  const std::vector<ParamSpec> specs = ModelParams(config);
  const ParamValues values = InitialParams(config);
  ASSERT_EQ(specs.size(), 4u + 8 * config.n_layer);
  uint64_t total = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    ASSERT_EQ(values[i].size(), specs[i].NumElements()) << specs[i].name;
    total += values[i].size();
    double sum_sq = 0;
    for (float x : values[i]) sum_sq += static_cast<double>(x) * x;
    const double std = std::sqrt(sum_sq / values[i].size());
    if (specs[i].init_std == 0) {
      EXPECT_EQ(std, 0.0) << specs[i].name;
    } else {
      EXPECT_NEAR(std, specs[i].init_std, 0.1 * specs[i].init_std) << specs[i].name;
    }
  }
  EXPECT_EQ(total, config.NumParams());
  EXPECT_EQ(specs[BlockParamIndex(2, BlockParam::kMlpWProj)].name, "h.2.mlp.w_proj");
  EXPECT_FLOAT_EQ(specs[BlockParamIndex(2, BlockParam::kMlpWProj)].init_std,
                  0.02f / std::sqrt(8.0f));
  EXPECT_EQ(specs[HeadBiasIndex(config)].name, "head.b");
}

}  // namespace
}  // namespace cc::compute
