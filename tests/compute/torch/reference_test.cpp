// compute::ReferenceBackend against the libtorch backend: every unit of a
// step of tiny and devnet, on the same committed inputs.

#include "compute/reference_backend.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compute/dataset.h"
#include "compute/local_step.h"
#include "compute/torch/model.h"
#include "compute/torch/torch_engine.h"

namespace cc::compute {
namespace {

ModelConfig Preset(const std::string& name) {
  ModelConfig config;
  EXPECT_TRUE(PresetConfig(name, &config).ok());
  return config;
}

const char* KindName(UnitKind kind) {
  switch (kind) {
    case UnitKind::kForward:
      return "FORWARD";
    case UnitKind::kBackward:
      return "BACKWARD";
    case UnitKind::kAttention:
      return "ATTENTION";
    case UnitKind::kUpdate:
      return "UPDATE";
  }
  return "?";
}

// Every unit of one step computed by libtorch (default thread count), then
// by the reference on the same inputs: the largest relative L2 distance of
// an output (and of the loss) per unit kind.
void ExpectAgreement(const std::string& preset, uint32_t digits,
                     const std::map<UnitKind, double>& bound, double loss_bound) {
  const ModelConfig config = Preset(preset);
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(digits, &data).ok());
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(MakeTorchEngine(config, EngineOptions{}, &engine).ok());
  LocalStep step(engine.get(), &data, 0);
  ASSERT_TRUE(step.RunAll().ok());
  const ReferenceBackend reference(config, engine->partition());
  std::map<UnitKind, double> worst;
  double worst_loss = 0;
  for (const PlannedUnit& unit : step.plan().units) {
    std::vector<EncodedTensor> inputs;
    std::vector<Uint256> hashes;
    ASSERT_TRUE(step.Inputs(unit.id, &inputs, &hashes).ok());
    std::vector<const EncodedTensor*> views;
    for (const EncodedTensor& t : inputs) views.push_back(&t);
    UnitResult ours;
    ASSERT_TRUE(reference.Run(unit, views, &ours).ok()) << UnitName(unit.id);
    const UnitResult& torch = *step.Result(unit.id);
    ASSERT_EQ(ours.outputs.size(), torch.outputs.size());
    for (size_t i = 0; i < ours.outputs.size(); ++i) {
      ASSERT_EQ(ours.outputs[i].shape, torch.outputs[i].shape);
      const double d = RelativeL2(ours.outputs[i], torch.outputs[i]);
      EXPECT_LE(d, bound.at(unit.id.kind)) << UnitName(unit.id) << " output " << i;
      worst[unit.id.kind] = std::max(worst[unit.id.kind], d);
    }
    if (unit.has_loss) {
      const double d = RelativeLossDistance(ours.loss, torch.loss);
      EXPECT_LE(d, loss_bound) << UnitName(unit.id);
      worst_loss = std::max(worst_loss, d);
    }
  }
  for (const auto& [kind, d] : worst) std::printf("%s %s: max %.2e\n", preset.c_str(), KindName(kind), d);
  std::printf("%s loss: max %.2e\n", preset.c_str(), worst_loss);
}

TEST(ReferenceBackendTest, AgreesWithTorchOnEveryUnitOfTiny) {
  ExpectAgreement("tiny", 2,
                  {{UnitKind::kForward, 1e-6},
                   {UnitKind::kAttention, 1e-6},
                   {UnitKind::kBackward, 1e-6},
                   {UnitKind::kUpdate, 0}},
                  1e-6);
}

TEST(ReferenceBackendTest, AgreesWithTorchOnEveryUnitOfDevnet) {
  ExpectAgreement("devnet", 3,
                  {{UnitKind::kForward, 1e-6},
                   {UnitKind::kAttention, 1e-6},
                   {UnitKind::kBackward, 1e-6},
                   {UnitKind::kUpdate, 0}},
                  1e-6);
}

}  // namespace
}  // namespace cc::compute
