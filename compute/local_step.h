// LocalStep: one training step run as its work units inside one process.
//
// It plays every role the network would: it resolves each unit's inputs
// (the engine's current state for weights and optimizer state, the dataset
// for a lane's batch, earlier units' outputs for the rest), executes the
// units through compute::Engine in any order the plan's dependencies allow,
// hashes their outputs as a worker would before committing them, and at the
// end imports the UPDATE outputs into the engine. Tests, benchmarks and
// single-process training use it; the chain does the same work spread over
// workers and blocks.
//
// Thread safety: one thread at a time; the engine and dataset must outlive it
// and must not be used by anything else while a step runs.

#ifndef COMPUTECOIN_COMPUTE_LOCAL_STEP_H
#define COMPUTECOIN_COMPUTE_LOCAL_STEP_H

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/work.h"
#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/plan.h"

namespace cc::compute {

/// The batch of (step, lane) for `config` as committed tensors.
Status LaneBatch(const Dataset& dataset, const ModelConfig& config, uint64_t step, uint32_t lane,
                 EncodedBatch* out);

/// The lanes' batches as committed tensors with their hashes, each built
/// once: what a kBatch input reads. LocalStep and the chain's input
/// resolution (consensus/connect.h) both read batches through it, so the
/// batch of (step, lane) and the role → tensor mapping have one home.
/// REQUIRES: dataset and config outlive it.
class LaneBatches {
 public:
  LaneBatches(const Dataset& dataset, const ModelConfig& config)
      : dataset_(dataset), config_(config) {}

  /// Points *tensor and *hash at what a kBatch input of `role` (kTokens,
  /// kTargets or kLossMask) reads for (step, lane); valid while this object
  /// lives. The tensor stays owned here: a caller may lend it out (move it
  /// and move it back) but must leave it as it found it. Returns
  /// InvalidArgument for another role, and dataset errors.
  Status Get(uint64_t step, uint32_t lane, TensorRole role, EncodedTensor** tensor,
             const Uint256** hash);

 private:
  struct Entry {
    EncodedTensor tensors[3];  // tokens, targets, mask
    Uint256 hashes[3];
  };
  const Dataset& dataset_;
  const ModelConfig& config_;
  std::map<std::pair<uint64_t, uint32_t>, Entry> entries_;
};

class LocalStep {
 public:
  /// REQUIRES: engine and dataset outlive this object.
  LocalStep(Engine* engine, const Dataset* dataset, uint64_t step);
  LocalStep(const LocalStep&) = delete;
  LocalStep& operator=(const LocalStep&) = delete;

  const StepPlan& plan() const { return plan_; }

  /// The tensors `unit` reads and their hashes, in its input order.
  /// Returns NotFound if a unit it reads has not run, InvalidArgument if the
  /// unit is not in the plan; dataset errors pass through.
  Status Inputs(const UnitId& unit, std::vector<EncodedTensor>* tensors,
                std::vector<Uint256>* hashes);

  /// Executes one unit whose dependencies have run; keeps its outputs.
  Status Run(const UnitId& unit);
  /// Runs every unit not yet run, in plan order.
  Status RunAll();
  /// Imports every section's UPDATE outputs into the engine.
  /// Returns NotFound if an UPDATE has not run.
  Status Commit();

  /// A unit's result and its outputs' hashes, or null if it has not run.
  const UnitResult* Result(const UnitId& unit) const;
  const std::vector<Uint256>* OutputHashes(const UnitId& unit) const;
  /// Mean of the lanes' losses; valid once every loss-bearing FORWARD ran.
  float Loss() const;

 private:
  struct Done {
    UnitResult result;
    std::vector<Uint256> hashes;
  };
  // A tensor the step reads from outside its units, hashed once.
  struct Fixed {
    EncodedTensor tensor;
    Uint256 hash;
  };
  using FixedKey = std::pair<uint32_t, TensorRole>;  // (section, role)

  Status FixedInput(const UnitId& unit, const UnitInput& input, Fixed** out);
  /// Pointers to the stored tensors `unit` reads, and their hashes.
  Status Resolve(const UnitId& unit, std::vector<EncodedTensor*>* tensors,
                 std::vector<Uint256>* hashes);

  Engine* const engine_;
  const Dataset* const dataset_;
  const StepPlan plan_;
  LaneBatches batches_;
  std::map<UnitId, Done> done_;
  std::map<FixedKey, Fixed> fixed_;
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_LOCAL_STEP_H
