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
#include <string>

#include "chain/status.h"
#include "compute/engine.h"
#include "compute/model_config.h"

namespace cc::compute {

/// The libtorch device that a device name (EngineOptions::device, the
/// node's -computedevice) selects:
///   "cpu"              the CPU;
///   "cuda", "cuda:N"   CUDA device 0, or N;
///   "auto"             "cuda:0" where this process sees a CUDA device, else "cpu".
/// Returns: OK with *device set to "cpu" or "cuda:N"; NotSupported for any
///          other name, and for a CUDA device when libtorch has no CUDA or N is
///          not below the number of devices it sees (the message says which).
/// Out:     device. REQUIRES: not null.
Status ResolveTorchDevice(const std::string& name, std::string* device);

/// An engine computing with libtorch on the device options.device names
/// (ResolveTorchDevice), starting from the initial state; sets libtorch's
/// thread count when options.threads > 0. On a GPU, FORWARD, BACKWARD and
/// ATTENTION run there and their outputs come back to the host to be
/// checked, hashed and committed; UPDATE runs on the CPU (compute/update.h).
/// Returns InvalidArgument if the config does not validate or cannot be cut
/// into config.sections, or if options.threads < 0; ResolveTorchDevice's
/// errors. Has the signature of an EngineFactory.
Status MakeTorchEngine(const ModelConfig& config, const EngineOptions& options,
                       std::unique_ptr<Engine>* out);

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_TORCH_TORCH_ENGINE_H
