#include "compute/torch/torch_engine.h"

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

Status MakeTorchEngine(const ModelConfig& config, const EngineOptions& options,
                       std::unique_ptr<Engine>* out) {
  Status s = config.Validate();
  if (!s.ok()) return s;
  if (options.device != "cpu" && options.device != "cuda") {
    return Status::NotSupported("unknown device '" + options.device + "'");
  }
  if (options.device == "cuda" && !CudaAvailable()) {
    return Status::NotSupported("this libtorch has no CUDA device");
  }
  Partition partition;
  s = PartitionModel(config, config.sections, &partition);
  if (!s.ok()) return s;
  if (options.threads > 0) SetTorchThreads(options.threads);
  TorchThreads();  // settles this thread's count before any unit thread sets its own
  return MakeEngine(config, options, std::make_unique<TorchBackend>(config, partition, options),
                    out);
}

}  // namespace cc::compute
