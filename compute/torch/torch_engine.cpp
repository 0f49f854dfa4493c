#include "compute/torch/torch_engine.h"

#include <algorithm>
#include <string>

#include "compute/partition.h"
#include "compute/torch/model.h"

namespace cc::compute {
namespace {

class TorchBackend final : public Backend {
 public:
  TorchBackend(const ModelConfig& config, const Partition& partition, const EngineOptions& options)
      : config_(config),
        partition_(partition),
        device_(options.device),
        runner_(config, partition, device_, options.keep_forward_state) {}

  Status Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
             const Uint256* forward_digest, UnitResult* out) override {
    return runner_.Run(unit, inputs, forward_digest, out);
  }

  void SetCallerThreads(int n) override { SetThreadTorchThreads(n); }

  Status Generate(const ParamValues& params, std::span<const std::string> prompts,
                  uint32_t max_tokens, std::vector<std::string>* out) override {
    return GenerateGreedy(config_, params, device_, prompts, max_tokens, out);
  }

  std::unique_ptr<SectionServer> MakeSectionServer(const ParamValues& params, uint32_t begin,
                                                   uint32_t end,
                                                   const ServeLimits& limits) override {
    return MakeTorchSectionServer(config_, partition_, params, device_, begin, end, limits);
  }

 private:
  const ModelConfig config_;
  const Partition partition_;
  const std::string device_;
  UnitRunner runner_;
};

}  // namespace

Status ResolveTorchDevice(const std::string& name, std::string* device) {
  if (name == "cpu") {
    *device = "cpu";
    return Status::OK();
  }
  int index = 0;
  if (name != "cuda" && name != "auto") {
    // "cuda:N": N in decimal digits, no sign, no leading zeros.
    const std::string digits = name.rfind("cuda:", 0) == 0 ? name.substr(5) : "";
    const bool canonical =
        !digits.empty() && digits.size() <= 4 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        (digits == "0" || digits[0] != '0');
    if (!canonical) {
      return Status::NotSupported("unknown device '" + name +
                                  "' (expected cpu, cuda, cuda:N or auto)");
    }
    index = std::stoi(digits);
  }
  // Asked only now: with CUDA, counting devices starts the driver.
  const int count = CudaDeviceCount();
  if (name == "auto") {
    *device = count > 0 ? "cuda:0" : "cpu";
    return Status::OK();
  }
  if (count == 0) {
    return Status::NotSupported("device '" + name +
                                "': no CUDA device (this libtorch was built without CUDA, or "
                                "finds no GPU or driver)");
  }
  if (index >= count) {
    return Status::NotSupported("device '" + name + "': libtorch sees " + std::to_string(count) +
                                " CUDA device(s), numbered from 0");
  }
  *device = "cuda:" + std::to_string(index);
  return Status::OK();
}

Status MakeTorchEngine(const ModelConfig& config, const EngineOptions& options,
                       std::unique_ptr<Engine>* out) {
  Status s = config.Validate();
  if (!s.ok()) return s;
  if (options.threads < 0) return Status::InvalidArgument("negative thread count");
  EngineOptions resolved = options;
  s = ResolveTorchDevice(options.device, &resolved.device);
  if (!s.ok()) return s;
  Partition partition;
  s = PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  if (options.threads > 0) SetTorchThreads(options.threads);
  TorchThreads();  // settles this thread's count before any unit thread sets its own
  return MakeEngine(config, resolved, std::make_unique<TorchBackend>(config, partition, resolved),
                    out);
}

}  // namespace cc::compute
