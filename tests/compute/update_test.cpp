// UPDATE units (compute/update.h): their outputs are recomputed bit for bit
// by every node, so the bytes are pinned here for fixed inputs. A change to
// RunUpdate (vectorising, reordering, other compiler flags) that moves a
// single bit fails these tests.

#include "compute/update.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "compute/partition.h"
#include "compute/plan.h"

namespace cc::compute {
namespace {

// A fixed, platform-independent stream of floats: xorshift64 bits turned
// into values spread over many binades (1e-9 … 1e1), with exact zeros and
// both signs, so rounding, tiny gradients and sign changes all occur.
class Values {
 public:
  explicit Values(uint64_t seed) : state_(seed | 1) {}

  uint64_t Next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }

  // A signed value in ±[2^-30, 2^4) (or 0 one time in 32). Built from bits
  // alone (no libm), so every machine gets the same floats.
  float Signed() {
    const uint64_t r = Next();
    if ((r & 31) == 0) return 0.0f;
    const uint32_t exponent = 127 - 30 + static_cast<uint32_t>((r >> 5) % 34);
    const uint32_t mantissa = static_cast<uint32_t>(r >> 16) & 0x7fffffu;
    const uint32_t sign = static_cast<uint32_t>(r >> 63) << 31;
    return std::bit_cast<float>(sign | exponent << 23 | mantissa);
  }
  float NonNegative() { return std::fabs(Signed()); }

 private:
  uint64_t state_;
};

EncodedTensor Fill(const TensorSlot& slot, Values* values, bool non_negative_tail = false) {
  uint64_t n = 1;
  for (uint64_t d : slot.shape) n *= d;
  std::vector<float> v(n);
  for (uint64_t i = 0; i < n; ++i) {
    // AdamW's v (the second row of the optimizer state) is never negative.
    v[i] = non_negative_tail && i >= n / 2 ? values->NonNegative() : values->Signed();
  }
  return EncodeFloats(v, slot.shape, Codec::kFloat32);
}

// SHA-256 tagged hashes of UPDATE(section)'s outputs at `step` on fixed inputs.
std::vector<std::string> UpdateOutputHashes(const ModelConfig& config, uint32_t section,
                                            uint64_t step) {
  Partition partition;
  EXPECT_TRUE(PartitionModel(config, config.sections, &partition).ok());
  const StepPlan plan = BuildStepPlan(config, partition, step);
  const PlannedUnit* unit = plan.Find(UnitId{UnitKind::kUpdate, step, 0, section, 0, 0, 0});
  EXPECT_NE(unit, nullptr);
  if (unit == nullptr) return {};
  Values values(0x9e3779b97f4a7c15ull + section);
  std::vector<EncodedTensor> inputs;
  for (size_t i = 0; i < unit->inputs.size(); ++i) {
    inputs.push_back(Fill(unit->inputs[i].slot, &values,
                          /*non_negative_tail=*/unit->inputs[i].slot.role ==
                              TensorRole::kOptimizerState));
  }
  std::vector<const EncodedTensor*> views;
  for (const EncodedTensor& t : inputs) views.push_back(&t);
  UnitResult out, naive;
  const Status s = RunUpdate(config, *unit, views, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  // The fused, vectorised loop and the plain one agree bit for bit.
  EXPECT_TRUE(RunUpdateNaive(config, *unit, views, &naive).ok());
  EXPECT_EQ(out.outputs, naive.outputs);
  std::vector<std::string> hashes;
  for (const EncodedTensor& t : out.outputs) {
    EXPECT_TRUE(CheckEncoding(t).ok());
    hashes.push_back(t.Hash().ToHex());
  }
  return hashes;
}

ModelConfig Preset(const char* name) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig(name, &config).ok());
  return config;
}

TEST(UpdateGoldenTest, SgdOutputsArePinned) {
  const ModelConfig tiny = Preset("tiny");
  const std::vector<std::vector<std::string>> golden = {
      {"095a3d24f976687034b62510d0012aacaeefc8255056c8713bec4f1bd9273cd3",
       "3092204c7e55ef82c1785ddb233647886a3d5060d43cc4648e5df08d63bb2680"},
      {"399e5415a096e99e524c678f27ccada4907159c8813b8cd74eaff9f2c6cb822b",
       "3092204c7e55ef82c1785ddb233647886a3d5060d43cc4648e5df08d63bb2680"},
      {"ace6083b32cf521a2d6c48593c255e1f240d390eeb3122b77d2c5442859f2aa5",
       "3092204c7e55ef82c1785ddb233647886a3d5060d43cc4648e5df08d63bb2680"},
  };
  for (uint32_t s = 0; s < tiny.sections; ++s) {
    EXPECT_EQ(UpdateOutputHashes(tiny, s, /*step=*/3), golden[s]) << "section " << s;
  }
}

TEST(UpdateGoldenTest, AdamWOutputsArePinned) {
  // devnet in warm-up (step 7) and on the cosine (step 900); tiny with
  // AdamW and weight decay, whose sections have several stages each.
  const ModelConfig devnet = Preset("devnet");
  ModelConfig tiny_adamw = Preset("tiny");
  tiny_adamw.optimizer = Optimizer::kAdamW;
  tiny_adamw.weight_decay = 0.1f;
  tiny_adamw.lr = 3e-3f;
  tiny_adamw.lr_min = 3e-4f;
  ASSERT_TRUE(tiny_adamw.Validate().ok());
  struct Case {
    const ModelConfig* config;
    uint32_t section;
    uint64_t step;
    std::vector<std::string> golden;
  };
  const std::vector<Case> cases = {
      {&devnet, 0, 7, {"8e408e464c6783ae5a085fa57ec5bcc89377cade5ac34248527f5c776e98500c",
        "513840c50cff3f8b82386083c0624777e5ec80cacfab734a7b9ddd7b25a0bd44"}},
      {&devnet, 3, 900, {"08eb638ae425ab9b2a678203fa718cbc8583f0651cb2aac16450d14f31f879af",
        "003916a9b62886a1f4f1f36cd64a5c29bcb3246ba3c0e041ad38469f499ad822"}},
      {&tiny_adamw, 1, 0, {"6f3837c6b00c40918b4b43e8b9056e5e0d29bed38d26d2d5b76cede5be7deecb",
        "5f9e8b47485da2419b9978af20dfca9ec3a91d6b76e9fd4ad985bd70a42b644b"}},
      {&tiny_adamw, 2, 41, {"5299e4003aea20aa893a869f8c84f5df28b39a6c51bf2457abc3fc50321452cd",
        "f4f1144fb581b722c8ded337d8da926c6579478d3374aa29d00f93f4b19cd558"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(UpdateOutputHashes(*c.config, c.section, c.step), c.golden)
        << c.config->name << " section " << c.section << " step " << c.step;
  }
}

// Non-finite results are refused, not committed.
TEST(UpdateTest, RefusesNonFiniteResults) {
  const ModelConfig tiny = Preset("tiny");
  Partition partition;
  ASSERT_TRUE(PartitionModel(tiny, tiny.sections, &partition).ok());
  const StepPlan plan = BuildStepPlan(tiny, partition, 0);
  const PlannedUnit* unit = plan.Find(UnitId{UnitKind::kUpdate, 0, 0, 0, 0, 0, 0});
  ASSERT_NE(unit, nullptr);
  std::vector<EncodedTensor> inputs;
  for (const UnitInput& input : unit->inputs) {
    uint64_t n = 1;
    for (uint64_t d : input.slot.shape) n *= d;
    // w − η·g overflows for w = 3.4e38, g = −3.4e38.
    const float value = input.slot.role == TensorRole::kWeights ? 3.4e38f : -3.4e38f;
    inputs.push_back(EncodeFloats(std::vector<float>(n, value), input.slot.shape, Codec::kFloat32));
  }
  std::vector<const EncodedTensor*> views;
  for (const EncodedTensor& t : inputs) views.push_back(&t);
  UnitResult out;
  EXPECT_TRUE(RunUpdate(tiny, *unit, views, &out).IsInvalidArgument());
  EXPECT_TRUE(RunUpdateNaive(tiny, *unit, views, &out).IsInvalidArgument());
}

}  // namespace
}  // namespace cc::compute
