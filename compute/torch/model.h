// The GPT model in libtorch, behind an interface without torch types.
//
// compute/torch/model.cpp holds all of the model's arithmetic, readable top to
// bottom: building blocks (layer norm, causal attention — naive and online
// softmax —, MLP, masked loss), the whole model as one function (the
// monolithic reference and generation), then the same blocks applied to one
// stage of one section (FORWARD / BACKWARD units) and to one slice of one
// layer's attention (ATTENTION units). compute/plan.h says what each unit reads
// and writes; this header only runs them.
//
// Thread safety: UnitRunner::Run may be called from several threads at once;
// the rest of a UnitRunner, and a ReferenceTrainer, one thread at a time. libtorch's thread count is process-wide (SetTorchThreads).

#ifndef COMPUTECOIN_COMPUTE_TORCH_MODEL_H
#define COMPUTECOIN_COMPUTE_TORCH_MODEL_H

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/model_config.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "compute/serve.h"
#include "compute/tensor.h"

namespace cc::compute {

/// Sets libtorch's intra-op thread count for the whole process. REQUIRES: n ≥ 1.
void SetTorchThreads(int n);
int TorchThreads();
/// Sets libtorch's intra-op threads for work the calling thread starts.
/// With OpenMP (Debian's libtorch) each thread has its own team size, so
/// this leaves other threads' counts alone (it does change the count a
/// thread that has never used libtorch starts with). REQUIRES: n ≥ 1.
void SetThreadTorchThreads(int n);
/// libtorch's build configuration (BLAS, LAPACK, OpenMP, CUDA), as
/// torch::show_config() reports it.
std::string TorchBuildConfig();
/// Whether "cuda" can be used as a device in this process.
bool CudaAvailable();
/// How many CUDA devices this process sees: 0 where libtorch was built
/// without CUDA or finds no GPU (or no driver).
int CudaDeviceCount();

/// What a unit computed: its outputs in the order its plan lists them.
/// Runs FORWARD, BACKWARD and ATTENTION units with libtorch.
///
/// With keep_forward_state, Run(FORWARD) given a digest of its inputs keeps
/// the stage's autograd graph, and a later Run(BACKWARD) of the same stage
/// given the same digest (of its leading, forward inputs) uses it instead of
/// recomputing (DESIGN §3: same outputs, less work for a worker holding both).
/// Without a digest Run neither keeps nor uses saved state — what a verifier
/// does. Keeping a FORWARD state of step s drops every state of steps before
/// s (a state whose BACKWARD went to another worker), so what is kept stays
/// within one step's FORWARD units.
class UnitRunner {
 public:
  /// REQUIRES: config.Validate().ok(); partition cut from config;
  /// device is "cpu", or "cuda:N" with N < CudaDeviceCount() (ResolveTorchDevice).
  UnitRunner(const ModelConfig& config, const Partition& partition, std::string device,
             bool keep_forward_state);
  ~UnitRunner();
  UnitRunner(const UnitRunner&) = delete;
  UnitRunner& operator=(const UnitRunner&) = delete;

  /// Computes `unit` on `inputs` into *out.
  /// forward_digest: null, or a hash identifying the FORWARD inputs (see above).
  /// Returns InvalidArgument if a computed output is not finite (the unit
  /// cannot be committed), IOError if libtorch fails (e.g. out of device
  /// memory), NotSupported for an UPDATE unit (compute/update.h runs those).
  /// REQUIRES: inputs match unit.inputs' slots in codec and shape.
  /// May be called from several threads at once.
  Status Run(const PlannedUnit& unit, std::span<const EncodedTensor* const> inputs,
             const Uint256* forward_digest, UnitResult* out);

  /// How many forward states are kept.
  size_t SavedStates() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Monolithic training in one libtorch process: the whole model with
/// autograd, torch::optim::SGD or torch::optim::AdamW as configured, on all
/// lanes' batches at once with loss (1/lanes) Σ_j L_j. The yardstick the
/// work units are tested and benchmarked against.
class ReferenceTrainer {
 public:
  /// Starts from `params` (e.g. InitialParams(config)).
  /// REQUIRES: config.Validate().ok(); params shaped as ModelParams(config).
  ReferenceTrainer(const ModelConfig& config, const ParamValues& params, std::string device);
  ~ReferenceTrainer();
  ReferenceTrainer(const ReferenceTrainer&) = delete;
  ReferenceTrainer& operator=(const ReferenceTrainer&) = delete;

  /// One optimizer step at learning rate config.LearningRate(step) on the
  /// lanes' batches: tokens[j], targets[j], masks[j] are lane j's (B, T) u8
  /// tensors. Sets *loss to the mean of the lanes' losses.
  /// Returns InvalidArgument if the batches do not match the config, or the
  /// loss is not finite. REQUIRES: steps are run in order from 0.
  Status Step(uint64_t step, std::span<const EncodedTensor> tokens,
              std::span<const EncodedTensor> targets, std::span<const EncodedTensor> masks,
              float* loss);

  /// Current weights.
  ParamValues Params() const;
  /// Gradients of the last Step (of the weights before it).
  ParamValues Grads() const;
  /// AdamW's m and v for each parameter (empty vectors for SGD).
  void OptimizerState(ParamValues* m, ParamValues* v) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Greedy decoding with the whole model: for each prompt, appends the most
/// likely next byte max_tokens times (or until '\n'), the context sliding
/// over the last T bytes. Prompts of equal length are decoded as one batch.
/// Returns InvalidArgument for an empty prompt.
/// REQUIRES: params shaped as ModelParams(config); device as for UnitRunner.
Status GenerateGreedy(const ModelConfig& config, const ParamValues& params,
                      const std::string& device, std::span<const std::string> prompts,
                      uint32_t max_tokens, std::vector<std::string>* out);

/// A server of sections [begin, end) (compute/serve.h) over a copy of the
/// parameters its atoms use, running the same building blocks as
/// GenerateGreedy with each session's key/value cache.
/// REQUIRES: config.Validate().ok(); partition cut from config; params shaped
/// as ModelParams(config); CheckServeRange(partition, begin, end) is OK;
/// device as for UnitRunner.
std::unique_ptr<SectionServer> MakeTorchSectionServer(const ModelConfig& config,
                                                      const Partition& partition,
                                                      const ParamValues& params,
                                                      const std::string& device, uint32_t begin,
                                                      uint32_t end, const ServeLimits& limits);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_TORCH_MODEL_H
