// Where units run: device names (ResolveTorchDevice, the node's
// -computedevice), and — where this process sees a CUDA device — a GPU
// worker's units judged by a CPU verifier. The CPU build has no GPU, so the
// CUDA cases skip there; contrib/gpu-check.sh runs them on one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/local_step.h"
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

Status Resolve(const std::string& name, std::string* device) {
  *device = "unchanged";
  return ResolveTorchDevice(name, device);
}

TEST(DeviceTest, CpuIsAlwaysThere) {
  std::string device;
  ASSERT_TRUE(Resolve("cpu", &device).ok());
  EXPECT_EQ(device, "cpu");
  ASSERT_TRUE(Resolve("auto", &device).ok());
  EXPECT_EQ(device, CudaDeviceCount() > 0 ? "cuda:0" : "cpu");
}

TEST(DeviceTest, RejectsUnknownNames) {
  for (const char* name : {"", "gpu", "CPU", "cuda:", "cuda:x", "cuda:-1", "cuda:+1", "cuda:01",
                           "cuda:0 ", "cuda:1:2", "cuda:99999", "mps", "cpu:0"}) {
    std::string device;
    const Status s = Resolve(name, &device);
    EXPECT_TRUE(s.IsNotSupported()) << "'" << name << "': " << s.ToString();
    EXPECT_NE(s.message().find("unknown device"), std::string::npos) << s.message();
    EXPECT_EQ(device, "unchanged");
  }
}

TEST(DeviceTest, CudaNeedsADeviceOfThatNumber) {
  const int count = CudaDeviceCount();
  std::string device;
  const Status beyond = Resolve("cuda:" + std::to_string(count), &device);
  EXPECT_TRUE(beyond.IsNotSupported()) << beyond.ToString();
  EXPECT_EQ(device, "unchanged");
  if (count == 0) {
    const Status none = Resolve("cuda", &device);
    EXPECT_TRUE(none.IsNotSupported());
    EXPECT_NE(none.message().find("no CUDA device"), std::string::npos) << none.message();
  } else {
    ASSERT_TRUE(Resolve("cuda", &device).ok());
    EXPECT_EQ(device, "cuda:0");
    ASSERT_TRUE(Resolve("cuda:" + std::to_string(count - 1), &device).ok());
    EXPECT_EQ(device, "cuda:" + std::to_string(count - 1));
  }
}

TEST(DeviceTest, TheFactoryRefusesWhatResolveRefuses) {
  std::unique_ptr<Engine> engine;
  EngineOptions options;
  options.device = "cuda:x";
  EXPECT_TRUE(MakeTorchEngine(Tiny(), options, &engine).IsNotSupported());
  options.device = "cpu";
  options.threads = -1;
  EXPECT_TRUE(MakeTorchEngine(Tiny(), options, &engine).IsInvalidArgument());
  EXPECT_EQ(engine, nullptr);
}

// A tiny step computed on the GPU: every unit's outputs are within ε of the
// CPU's (the figure the choice of ε needs, printed per kind), a CPU verifier
// accepts each, and rejects each kind perturbed by 10ε.
TEST(CudaDeviceTest, CpuVerifierAcceptsGpuUnitsAndRejectsPerturbedOnes) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device in this process (CPU-only libtorch)";
  const ModelConfig config = Tiny();
  Dataset data;
  ASSERT_TRUE(Dataset::Addition(2, &data).ok());
  std::unique_ptr<Engine> gpu, cpu;
  EngineOptions on_gpu;
  on_gpu.device = "cuda";
  ASSERT_TRUE(MakeTorchEngine(config, on_gpu, &gpu).ok());
  ASSERT_TRUE(MakeTorchEngine(config, EngineOptions{}, &cpu).ok());
  LocalStep step(gpu.get(), &data, 0);
  ASSERT_TRUE(step.RunAll().ok());

  std::map<std::string, double> worst;  // largest GPU-vs-CPU distance of any output, by kind
  std::map<std::string, bool> perturbed;
  for (const PlannedUnit& unit : step.plan().units) {
    const std::string name = UnitName(unit.id);
    const std::string kind = name.substr(0, name.find('('));  // "FORWARD", ...
    WorkClaim claim;
    ASSERT_TRUE(step.Claim(unit.id, &claim).ok());

    UnitResult on_cpu;
    ASSERT_TRUE(cpu->Execute(unit.id, claim.inputs, {}, &on_cpu).ok()) << name;
    for (size_t i = 0; i < claim.outputs.size(); ++i) {
      std::vector<float> a, b;
      ASSERT_TRUE(DecodeFloats(claim.outputs[i], &a).ok());
      ASSERT_TRUE(DecodeFloats(on_cpu.outputs[i], &b).ok());
      worst[kind] = std::max(worst[kind], test::RelativeL2(a, b));
    }

    ValidationState verdict;
    ASSERT_TRUE(cpu->Verify(claim, claim.input_hashes, &verdict).ok());
    EXPECT_TRUE(verdict.IsValid()) << name << ": " << verdict.debug();

    if (perturbed[kind]) continue;
    perturbed[kind] = true;
    std::vector<float> values;
    ASSERT_TRUE(DecodeFloats(claim.outputs[0], &values).ok());
    for (float& x : values) x *= 1.0f + 10 * config.tolerance;
    claim.outputs[0] = EncodeFloats(values, claim.outputs[0].shape, Codec::kFloat32);
    claim.output_hashes[0] = claim.outputs[0].Hash();
    ASSERT_TRUE(cpu->Verify(claim, claim.input_hashes, &verdict).ok());
    EXPECT_EQ(verdict.reason(), "bad-work-output-mismatch") << name;
  }
  EXPECT_EQ(perturbed.size(), 4u);
  for (const auto& [kind, distance] : worst) {
    // contrib/gpu-check.sh collects these lines for its report.
    std::printf("gpu-vs-cpu %s: largest relative L2 distance %.3g (tolerance %.3g)\n", kind.c_str(),
                distance, static_cast<double>(config.tolerance));
    EXPECT_LT(distance, config.tolerance) << kind;
  }
}

}  // namespace
}  // namespace cc::compute
