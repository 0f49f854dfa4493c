// WorkPool: work records waiting for a block — the mempool's counterpart
// for training work (doc/consensus.md §8).
//
// Workers do not wait for blocks: a record computed by one node is relayed
// to its peers at once, and a unit it makes ready may be computed by the
// next worker before any block carries either. The pool holds those records
// in an order where each one's inputs come before it, and the state they
// lead to: the tip's ConsensusState with every pool record accepted, as if
// they were the next block's (its "extended tip"). A record enters when it
// passes the consensus rules on records (CheckRecordSignature, CheckRecord)
// against that extended tip at the local clock — the one home of those
// rules, shared with block validation — including re-execution under the
// node's -verify policy; a record whose inputs are not in the extended tip
// yet is refused as not ready (its sender relays it again once they are).
// The block producer takes the pool's records in order (AssemblyRequest).
//
// Faults are the worker's: a record that proves its worker wrong
// (IsWorkersFault: its re-execution disagrees, or it claims inputs the chain
// does not have) names its worker in the log, which is penalised (its later
// records are refused until restart), never the peer that relayed it.
//
// On every change of tip the pool is rebuilt against the new tip: records a
// block carried (or whose unit it completed) leave, a disconnected block's
// records come back first, and every record is judged again at the local
// clock without re-executing it (VerifiedRecords), so a record whose unit
// has since been reassigned (unit_timeout) leaves too.
//
// Listener: whoever computes units (the miner) is told at once when a
// peer's record enters or the pool is rebuilt on a new tip — the moments a
// unit may become ready — rather than finding out at its next poll: on a
// devnet step of ~20 hops in a row, a 100 ms poll cost ~1 s a step.
//
// Bounded: at most max_records records; past that, new records are refused
// ("work-pool-full"): earlier records are what later ones build on, so the
// newest is the least useful.
//
// The pool has its own engine (from the node's EngineFactory), so computing
// and re-executing units never holds the chain manager's lock.
//
// Thread safety: every public method may be called from any thread (mu_).
// Get, Contains and Records take only records_mu_, a leaf that writers take
// inside mu_: the message thread answers getdata and inv from them, and
// must not wait while this node's worker computes a unit under mu_ (its
// peers are waiting for the record it just relayed).
// Lock order: a ChainManager's lock, then mu_, then records_mu_ (block
// validation asks VerifiedRecords, whose lock is a leaf); the pool never
// calls the chain manager while holding mu_ except for its lock-free tensor
// store access.

#ifndef COMPUTECOIN_VALIDATION_WORK_POOL_H
#define COMPUTECOIN_VALIDATION_WORK_POOL_H

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "chain/key.h"
#include "chain/validation.h"
#include "chain/work.h"
#include "compute/dataset.h"
#include "compute/engine.h"
#include "consensus/connect.h"
#include "validation/chain_manager.h"
#include "validation/verified_records.h"

namespace cc {

/// Bound on the wrong records kept for reporting (WorkPool::TakeOffences).
inline constexpr size_t kMaxPendingOffences = 64;

struct WorkPoolOptions {
  size_t max_records = 4096;  //!< bound on the pool (a devnet step has tens of units)
  VerifyPolicy policy;        //!< the node's -verify (the same salt as its ChainManager's)
  compute::EngineOptions engine;
  compute::EngineFactory engine_factory;  //!< required
};

/// What getworkpoolinfo reports.
struct WorkPoolInfo {
  size_t records = 0;      //!< records in the pool
  uint64_t step = 0;       //!< the extended tip's step in progress
  size_t step_done = 0;    //!< units of that step accepted (chain and pool)
  size_t step_units = 0;   //!< units in that step's plan
  float last_loss = 0.0f;  //!< mean lane loss of the last step the extended tip completed
  Uint256 state_root;      //!< the extended tip's state root
  uint64_t verified = 0;   //!< records re-executed on entry since start
  uint64_t rejected = 0;   //!< records that proved their worker wrong since start
  double check_seconds = 0;  //!< wall time checking records on entry (re-execution under -verify)
  std::vector<XOnlyPubKeyBytes> penalised;  //!< workers caught with wrong outputs
};

class WorkPool final : public ChainListener {
 public:
  /// Builds a pool over `chainman`'s tip, with an engine from
  /// options.engine_factory. REQUIRES: chainman and verified outlive the
  /// pool; the pool is added as chainman's listener by the caller.
  /// Returns InvalidArgument without an engine factory, and the factory's
  /// and dataset's errors.
  static Status Create(const ChainParams& params, ChainManager* chainman, VerifiedRecords* verified,
                       WorkPoolOptions options, std::unique_ptr<WorkPool>* out);
  ~WorkPool() override;
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  /// Judges a record received from a peer at local time `now` and adds it.
  /// Returns true if it entered the pool; false with *state set otherwise:
  /// kPolicy "work-already-known" for a record held already (or carried by
  /// the tip), "work-pool-full", "work-worker-penalised",
  /// "work-pool-conflict" for another record of a unit that only a pool
  /// record has done (the first one seen stays); kMissingInputs
  /// "work-tensor-missing" when a tensor it needs is not stored (fetch it,
  /// then call again); CheckRecord's reasons (kConsensus) for a wrong
  /// record. REQUIRES: state is not null.
  [[nodiscard]] bool Accept(const WorkRecord& record, int64_t now, ValidationState* state);

  /// Computes the units assigned to `worker` at `now` in the extended tip
  /// (round after round, as the records it makes ready become its own
  /// units, across step boundaries), up to `max` records, adds them to the
  /// pool, stores their outputs and appends them to *out. Returns the
  /// engine's and tensor store's errors.
  Status Compute(const PrivateKey& worker, int64_t now, size_t max, std::vector<WorkRecord>* out);

  /// Calls `listener` whenever a record from a peer enters the pool (Accept)
  /// or the pool is rebuilt on a new tip: then units may have become ready.
  /// It runs on the thread that made the change with the pool's lock held,
  /// so it must return quickly and call nothing of the pool but Get,
  /// Contains and Records, which take only records_mu_ (wake a thread). An
  /// empty function removes it; once SetListener returns, the previous
  /// listener is not running and is not called again.
  void SetListener(std::function<void()> listener);

  /// Records that proved their worker wrong since the last call (at most
  /// kMaxPendingOffences, one per worker: the first that penalised it), for
  /// the node to report as evidence (chain/evidence.h); cleared.
  std::vector<WorkRecord> TakeOffences();

  /// The pool's records in order (each one's inputs before it).
  std::vector<WorkRecord> Records() const;
  /// The record with hash `hash` if the pool holds it.
  [[nodiscard]] bool Get(const Uint256& hash, WorkRecord* out) const;
  [[nodiscard]] bool Contains(const Uint256& hash) const;
  /// The extended tip (file comment).
  ConsensusState ExtendedTip() const;
  /// Whether `record`, refused by Accept with `state`, may enter later: it
  /// is early ("bad-work-not-ready": the records it reads are not here yet;
  /// "bad-work-step" for a step after the pool's), or "bad-work-unassigned"
  /// for a step after the tip's: records are judged against the tip's unit
  /// order, which the block completing the tip's step replaces, so a record
  /// its worker made where that block had arrived may be assigned once it
  /// arrives here; or "work-pool-conflict": its unit is done by another
  /// pool record but not on the chain, and the next tip decides which of
  /// the two stays. A record of a step before the pool's is late — its step
  /// is over and it can never enter — and so is every other refusal
  /// ("bad-work-duplicate" is a unit the chain has done). Does not wait for
  /// a unit being computed.
  [[nodiscard]] bool MayEnterLater(const WorkRecord& record, const ValidationState& state) const;

  /// What a relayed record must pass before anything is fetched for it or
  /// it is kept as an orphan (a record can name millions of ids in one
  /// message): its signature ("bad-work-sig"), a step not yet over
  /// ("bad-work-step", kConsensus like the others: it can never enter), a
  /// unit of the plan ("bad-work-unit"), and as many inputs and outputs as
  /// the unit has ("bad-work-input-count", "bad-work-output-count"). Not its
  /// worker's registration nor how far ahead its step is: a fast network
  /// relays records several steps past a node's pool, and a worker's
  /// registration may be in a block not yet here, so those wait as orphans
  /// (bounded in number, and each now small). Returns true with *to_fetch
  /// set to the outputs Accept reads from the tensor store (all but those
  /// it recomputes, OutputsAreRecomputed), each with the length its slot
  /// fixes; or false with *state set. Accept checks all of it again, with
  /// the rest. REQUIRES: state and to_fetch not null.
  [[nodiscard]] bool CheckBeforeFetch(const WorkRecord& record, ValidationState* state,
                                      std::vector<compute::TensorToFetch>* to_fetch) const;
  WorkPoolInfo Info() const;

  // ChainListener: rebuild against the new tip.
  void BlockConnected(const Block& block, uint32_t height) override;
  void BlockDisconnected(const Block& block, uint32_t height) override;

 private:
  WorkPool(const ChainParams& params, ChainManager* chainman, VerifiedRecords* verified,
           WorkPoolOptions options);

  BlockContext Context() const;  // REQUIRES: mu_ held.
  // Judges `record` against the extended tip at `now` and, if it passes,
  // accepts it there and appends it. REQUIRES: mu_ held.
  bool AddLocked(const WorkRecord& record, int64_t now, ValidationState* state);
  // Rebuilds against the chain manager's tip, `first` (a disconnected
  // block's records) before the pool's own. REQUIRES: mu_ held.
  void Rebuild(std::vector<WorkRecord> first, int64_t now);
  // Appends an accepted record. REQUIRES: mu_ held, records_mu_ not.
  void Append(const WorkRecord& record, const Uint256& hash);

  const ChainParams& params_;
  ChainManager* const chainman_;
  VerifiedRecords* const verified_;
  const WorkPoolOptions options_;
  compute::Dataset dataset_;

  mutable std::mutex mu_;
  std::unique_ptr<compute::Engine> engine_;  // GUARDED_BY(mu_)
  std::unique_ptr<InputResolver> resolver_;  // GUARDED_BY(mu_): batches cached across calls
  ConsensusState tip_;                       // GUARDED_BY(mu_): the tip rebuilt against
  ConsensusState extended_;                  // GUARDED_BY(mu_)
  compute::StepPlan plan_;                   // GUARDED_BY(mu_): extended_.step's plan
  // Written with mu_ and records_mu_ held; read with either.
  mutable std::mutex records_mu_;
  std::vector<WorkRecord> records_;
  std::map<Uint256, size_t> index_;  // record hash → place in records_
  std::set<XOnlyPubKeyBytes> penalised_;     // GUARDED_BY(mu_)
  std::vector<WorkRecord> offences_;         // GUARDED_BY(mu_): not yet taken
  uint64_t verified_count_ = 0;              // GUARDED_BY(mu_)
  uint64_t rejected_count_ = 0;              // GUARDED_BY(mu_)
  double check_seconds_ = 0;                 // GUARDED_BY(mu_)
  std::function<void()> listener_;           // GUARDED_BY(mu_)
  std::atomic<uint64_t> step_{0};            // extended_.step: written under mu_, read without
  std::atomic<uint64_t> tip_step_{0};        // tip_.step: likewise
};

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_WORK_POOL_H
