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
// Speed (doc/benchmarks.md): a worker's outputs are hashed on a background
// thread while the next units compute — a unit needs only the hashes it
// passes to Execute (a FORWARD's or BACKWARD's inputs, which identify saved
// forward state), and hashes those itself that the hasher has not reached,
// and OutputHashes and Commit wait for the rest; the hashes are the same as
// hashing in line. With Options::threads > 1, RunAll runs
// independent units (the lanes, head groups, sections' UPDATEs) side by side,
// each on one intra-op thread; on a given intra-op count every output is the
// same, bit for bit, whatever the thread count and order. The section states
// are read in place from the engine (Engine::ViewSection), with the hashes
// it keeps, and Commit moves the UPDATE outputs into it with their hashes.
//
// Thread safety: one caller thread at a time; the engine and dataset must
// outlive it and must not be used by anything else while a step runs.

#ifndef COMPUTECOIN_COMPUTE_LOCAL_STEP_H
#define COMPUTECOIN_COMPUTE_LOCAL_STEP_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
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
  struct Options {
    /// Threads RunAll executes units on, side by side. 1: one unit at a
    /// time on the caller's thread, in plan order.
    int threads = 1;
    /// Hash outputs on a background thread while the next units compute
    /// (no unit waits for it: ExecuteIds); off, each unit's thread hashes
    /// its outputs before the next unit starts.
    bool hash_in_background = true;
  };

  /// REQUIRES: engine and dataset outlive this object.
  LocalStep(Engine* engine, const Dataset* dataset, uint64_t step);
  LocalStep(Engine* engine, const Dataset* dataset, uint64_t step, Options options);
  ~LocalStep();
  LocalStep(const LocalStep&) = delete;
  LocalStep& operator=(const LocalStep&) = delete;

  const StepPlan& plan() const { return plan_; }

  /// The tensors `unit` reads and their hashes, in its input order.
  /// Returns NotFound if a unit it reads has not run, InvalidArgument if the
  /// unit is not in the plan; dataset errors pass through.
  Status Inputs(const UnitId& unit, std::vector<EncodedTensor>* tensors,
                std::vector<Uint256>* hashes);

  /// The claim this step's worker makes for `unit` (engine.h): its inputs
  /// with their hashes, its outputs with theirs, and its loss — what a
  /// verifier is handed. Returns Inputs' errors, or NotFound if the unit
  /// has not run (or its outputs were moved by Commit).
  Status Claim(const UnitId& unit, WorkClaim* out);

  /// Executes one unit whose dependencies have run; keeps its outputs.
  Status Run(const UnitId& unit);
  /// Runs every unit not yet run: in plan order, or with options.threads > 1
  /// as soon as its dependencies have run, on the first free thread.
  Status RunAll();
  /// Imports every section's UPDATE outputs into the engine, moving them
  /// (Result of an UPDATE has no outputs afterwards; its OutputHashes stay).
  /// Returns NotFound if an UPDATE has not run.
  Status Commit();

  /// A unit's result and its outputs' hashes, or null if it has not run.
  /// OutputHashes waits for the unit's outputs to be hashed.
  const UnitResult* Result(const UnitId& unit) const;
  const std::vector<Uint256>* OutputHashes(const UnitId& unit) const;
  /// Mean of the lanes' losses; valid once every loss-bearing FORWARD ran.
  float Loss() const;

 private:
  struct Done {
    UnitResult result;
    std::vector<Uint256> hashes;  // valid once hashed
    bool hashed = false;          // GUARDED_BY(mu_)
    uint64_t run = 0;             // this run's number in the process (RunOutputId)
  };
  // A section's weights or optimizer state, read in place from the engine.
  struct Fixed {
    const EncodedTensor* tensor = nullptr;
    Uint256 hash;
  };
  using FixedKey = std::pair<uint32_t, TensorRole>;  // (section, role)
  // Input i of a unit: its tensor and where its hash comes from.
  struct Resolved {
    std::vector<const EncodedTensor*> tensors;
    // Null for a unit's output: read it from the producer once WaitHashed
    // returns, for the hasher replaces Done::hashes when it is done.
    std::vector<const Uint256*> hashes;
    std::vector<std::pair<Done*, size_t>> pending;  // (producer, output) per input, or null
  };

  Status FixedInput(const UnitId& unit, const UnitInput& input, Fixed** out);
  /// The stored tensors `unit` reads and where their hashes are. REQUIRES: mu_ held.
  Status Resolve(const UnitId& unit, Resolved* out);
  /// Input ids for Execute: for a FORWARD or BACKWARD, which keep and find
  /// saved forward state by them, each input's hash where it is known and
  /// otherwise its RunOutputId, so that no unit waits for the hasher;
  /// other units get none. REQUIRES: mu_ held.
  std::vector<Uint256> ExecuteIds(const UnitId& unit, const Resolved& in) const;
  /// Executes `unit` (mu_ not held), then stores its result and queues its
  /// outputs for hashing.
  Status Execute(const UnitId& unit, const Resolved& in, std::vector<Uint256> ids);
  void Store(const UnitId& unit, UnitResult result);
  void HashLoop();
  /// Waits until every output of `done` is hashed. REQUIRES: lock holds mu_.
  void WaitHashed(const Done& done, std::unique_lock<std::mutex>& lock) const;
  Status RunParallel();

  Engine* const engine_;
  const Dataset* const dataset_;
  const StepPlan plan_;
  const Options options_;
  LaneBatches batches_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<UnitId, Done> done_;      // GUARDED_BY(mu_); nodes never move
  std::map<FixedKey, Fixed> fixed_;  // GUARDED_BY(mu_)
  std::deque<Done*> hash_queue_;     // GUARDED_BY(mu_)
  bool stopping_ = false;            // GUARDED_BY(mu_)
  bool committed_ = false;           // GUARDED_BY(mu_)
  std::thread hasher_;
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_LOCAL_STEP_H
