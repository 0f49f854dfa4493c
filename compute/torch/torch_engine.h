// The libtorch engine: compute::Engine (compute/engine.h) with its units'
// arithmetic run by the model in compute/torch/model.cpp.
//
// This folder is the only code that includes torch headers or links
// libtorch; every layer above takes an EngineFactory, so that it builds and
// tests without torch (-DCC_WITH_TORCH=OFF), and only the programs that run
// the model (computecoind, the compute tests and benchmarks) link this.
//
// Thread safety: as compute::Engine; libtorch's thread count is process-wide.

#ifndef COMPUTECOIN_COMPUTE_TORCH_TORCH_ENGINE_H
#define COMPUTECOIN_COMPUTE_TORCH_TORCH_ENGINE_H

#include <memory>

#include "chain/status.h"
#include "compute/engine.h"
#include "compute/model_config.h"

namespace cc::compute {

/// An engine computing with libtorch on options.device, starting from the
/// initial state; sets libtorch's thread count when options.threads > 0.
/// Returns InvalidArgument if the config does not validate or cannot be cut
/// into config.sections; NotSupported for device "cuda" without CUDA, or an
/// unknown device. Has the signature of an EngineFactory.
Status MakeTorchEngine(const ModelConfig& config, const EngineOptions& options,
                       std::unique_ptr<Engine>* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_TORCH_TORCH_ENGINE_H
