// Block validity: the consensus rules a block must meet to extend a chain,
// and the state it leads to. doc/consensus.md lists every rule in the order
// applied here, with its reason string.
//
//   CheckBlock           context-free: signatures, roots, coinbase shape,
//                        transaction syntax. Cheap; run before anything else.
//   ConnectBlock         contextual, against the parent's ConsensusState and
//                        the UTXO set at the parent: linkage, time, producer
//                        slot, each work record (assigned, ready, inputs
//                        committed, outputs verified by re-execution), the
//                        transactions' inputs, the coinbase's rewards, the
//                        registry, the training step and header.state_root.
//
// A rejected block leaves every input untouched: ConnectBlock builds the new
// state in *next and writes nothing else. Failures are
// state->Invalid(category, reason) for bad data (kMutated when the bytes may
// have been altered after the producer signed, kTimeFuture for a block ahead
// of our clock, kMissingInputs when a tensor cannot be fetched), and
// state->Error() for our own failures (libtorch, I/O).
//
// Thread safety: the functions are reentrant; the engine they are given is
// not thread-safe (compute/engine.h), so one call per engine at a time.

#ifndef COMPUTECOIN_CONSENSUS_CONNECT_H
#define COMPUTECOIN_CONSENSUS_CONNECT_H

#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "chain/block.h"
#include "chain/coins.h"
#include "chain/validation.h"
#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/local_step.h"
#include "consensus/chainparams.h"
#include "consensus/consensus_state.h"

namespace cc {

/// Bounds CheckBlock enforces ("bad-blk-length") so that a block's
/// validation work is bounded before anything is re-executed.
inline constexpr size_t kMaxBlockTxs = 1 << 14;
inline constexpr size_t kMaxBlockRecords = 1 << 16;

/// -verify=all|sample=P: which records this node re-executes. A record not
/// re-executed is still checked for everything but its outputs' values
/// (assignment, signature, input hashes, output count). With sample=P each
/// record is re-executed with probability P, chosen by
/// TaggedHash("Computecoin/VerifySample", record hash ‖ salt) < P·2^256,
/// where the salt is this node's secret: a worker cannot know which records
/// a given node skips. Not consensus: nodes with different policies agree on
/// every block whose records are honest.
/// sample = 0 is not a -verify policy but trust, for blocks judged already
/// (the assembler's own) or connected on trust (a reindex of pruned work):
/// nothing is re-executed, nor recomputed (OutputsAreRecomputed).
struct VerifyPolicy {
  double sample = 1.0;  //!< fraction of records re-executed; 1 = all
  Uint256 salt;         //!< local secret (random per node)

  [[nodiscard]] bool ShouldVerify(const Uint256& record_hash) const;
};

/// Fetches the tensor with id `hash` (from the tensor store or a peer): one
/// that hashes to `hash` and is well formed (compute::CheckEncoding), as
/// compute::TensorStore::Get returns them — CheckRecord hands fetched
/// tensors to Engine::Verify as already checked (WorkClaim::hashes_checked).
/// Returns NotFound if it is not available.
using TensorFetcher = std::function<Status(const Uint256& hash, compute::EncodedTensor* out)>;

/// Stores a unit's output tensor, whose id `hash` the caller has computed
/// (REQUIRES: hash == tensor.Hash()), tagged with its step, so that
/// verifiers can fetch it. Returns the store's errors.
using TensorSink = std::function<Status(const compute::EncodedTensor& tensor, const Uint256& hash,
                                        uint64_t step)>;

/// Whether nodes recompute the outputs of units of this kind rather than
/// fetch them: UPDATE's, which are bit-exact on every machine
/// (compute/update.h) and cheap (elementwise over the section), so that a
/// node brings its copy of the weights up to date from the lanes' gradients
/// instead of downloading weights and optimizer state (doc/consensus.md §7).
/// CheckRecord recomputes every such record it checks, whatever the -verify
/// policy (but trust, sample = 0), and never fetches its outputs.
[[nodiscard]] inline bool OutputsAreRecomputed(UnitKind kind) { return kind == UnitKind::kUpdate; }

/// What ConnectBlock needs besides the parent state and the block. Every
/// pointer must outlive the call.
struct BlockContext {
  const ChainParams* params = nullptr;
  compute::Engine* engine = nullptr;          //!< for Plan and Verify
  const compute::Dataset* dataset = nullptr;  //!< params' training data (batches)
  const CoinsView* coins = nullptr;           //!< the UTXO set at the parent
  TensorFetcher fetch;
  /// Where CheckRecord puts the outputs it recomputes (OutputsAreRecomputed),
  /// as valid records' outputs, for later units and for peers; may be empty
  /// (they are dropped). A content-addressed cache: storing outputs of a
  /// block that turns out invalid changes no state.
  TensorSink store;
  VerifyPolicy policy;
  /// Records this node re-executed already (its work pool's), by record
  /// hash: not re-executed again, as Bitcoin Core's script cache skips
  /// scripts checked at mempool entry. Sound because a record's hash commits
  /// to every input and output hash it was judged on. May be empty.
  std::function<bool(const Uint256& record_hash)> verified;
  /// Records of a step below this are accepted without re-execution: the
  /// checkpointed chain's (all of them), or history older than the tensor
  /// retention of the best header chain, whose inputs no peer keeps
  /// (ChainManager's assume-valid, doc/consensus.md §6).
  uint64_t assume_valid_below_step = 0;
  int64_t now = 0;  //!< this node's clock (seconds since the epoch): time-too-new
};

/// The producer's BIP340 signature of the header ("bad-blk-sig", kMutated).
/// REQUIRES: state is not null.
[[nodiscard]] bool CheckHeaderSignature(const BlockHeader& header, ValidationState* state);

/// The context-free rules. Returns true if `block` passes them; otherwise
/// false with *state Invalid(...) naming the first rule it breaks.
/// REQUIRES: state is not null.
[[nodiscard]] bool CheckBlock(const Block& block, ValidationState* state);

/// The context-free rule on a record: its worker's BIP340 signature
/// ("bad-work-sig"). REQUIRES: state is not null.
[[nodiscard]] bool CheckRecordSignature(const WorkRecord& record, ValidationState* state);

/// The rules on a header that need only its parent's height, time and
/// accepted work — what headers-first sync and light clients can judge
/// before any block arrives: height one more ("bad-height"), time not
/// before ("time-too-old"), accepted_work at least the parent's and at most
/// kMaxBlockRecords more ("bad-accepted-work"). Returns true, or false with
/// *state Invalid(...). ConnectBlock applies them too. REQUIRES: state not null.
[[nodiscard]] bool CheckHeaderContext(const BlockHeader& header, uint32_t parent_height,
                                      int64_t parent_time, uint64_t parent_work,
                                      ValidationState* state);

/// The rules on a header that its parent's state decides, before any of
/// the block's records is looked at: linkage ("bad-prevblk"), height and
/// time (CheckHeightAndTime's "bad-height", "time-too-old"), not beyond
/// `now` + max_future_time (kTimeFuture "time-too-new"), and the producer
/// the schedule names for its slot ("bad-producer"). ConnectBlock applies
/// them first; a node also applies them before fetching a block's tensors,
/// so that a key without the slot cannot make it fetch anything.
/// Returns true, or false with *state Invalid(...). REQUIRES: state not null.
[[nodiscard]] bool CheckHeaderAgainstParent(const ConsensusState& parent,
                                            const BlockHeader& header,
                                            const ChainParams& params, int64_t now,
                                            ValidationState* state);

/// Checks `block` (CheckBlock, then the contextual rules) as the child of
/// `parent` and on success stores the state after it in *next and returns
/// true: the header's state_root ("bad-stateroot"), registry_root
/// ("bad-registryroot") and accepted_work ("bad-accepted-work") must be
/// *next's. On failure returns false with *state filled in; *next unspecified.
/// REQUIRES: next and state are not null; ctx's pointers are set.
[[nodiscard]] bool ConnectBlock(const ConsensusState& parent, const Block& block,
                                const BlockContext& ctx, ConsensusState* next,
                                ValidationState* state);

/// ConnectBlock without the producer's signature and without the header's
/// commitments to what the block leads to (state_root, registry_root,
/// accepted_work): what a producer runs to learn them before it signs
/// (AssembleBlock). Same contract otherwise.
[[nodiscard]] bool ApplyBlock(const ConsensusState& parent, const Block& block,
                              const BlockContext& ctx, ConsensusState* next,
                              ValidationState* state);

/// Resolves what a unit reads in a state: kState from the sections' hashes,
/// kBatch from the dataset (batches are derived, never fetched), kUnit from
/// the committed outputs. Caches each (step, lane) batch it builds.
/// REQUIRES: params and dataset outlive it.
class InputResolver {
 public:
  InputResolver(const ChainParams& params, const compute::Dataset& dataset, TensorFetcher fetch);

  /// The hashes `unit` must read in `state`, in its input order. Returns
  /// NotFound if a unit it reads is not done, InvalidArgument for a source
  /// the state lacks, and the dataset's errors.
  Status Hashes(const ConsensusState& state, const compute::PlannedUnit& unit,
                std::vector<Uint256>* out);
  /// The tensors behind Hashes(). Returns Hashes()'s errors, or the
  /// fetcher's NotFound for a tensor that is not available.
  Status Tensors(const ConsensusState& state, const compute::PlannedUnit& unit,
                 std::vector<compute::EncodedTensor>* out);

 private:
  const TensorFetcher fetch_;
  compute::LaneBatches batches_;
};

/// The contextual rules on one record (doc/consensus.md §4, bad-work-step
/// through the engine's verdicts), judged as the next record of a block of
/// `time` whose parent's unit order is `order`: against `working` (the
/// parent's state with the block's earlier records accepted) and `plan`
/// (working.step's plan). Re-executes the record when its step is not below
/// ctx.assume_valid_below_step, ctx.policy.ShouldVerify says so (or its
/// outputs are recomputed: OutputsAreRecomputed) and ctx.verified does not
/// know it; recomputed outputs go to ctx.store. Reads only ctx.params,
/// ctx.engine, ctx.fetch, ctx.store, ctx.policy, ctx.verified and
/// ctx.assume_valid_below_step.
/// On success returns true; the caller then calls AcceptRecord.
/// Failures as for ConnectBlock. The one home of these rules: blocks, the
/// work pool and the assembler all judge records here.
/// REQUIRES: resolver was built for ctx's params and dataset; state not null.
[[nodiscard]] bool CheckRecord(const WorkRecord& record, const ConsensusState& working,
                               const std::vector<XOnlyPubKeyBytes>& order,
                               const compute::StepPlan& plan, int64_t time,
                               const BlockContext& ctx, InputResolver* resolver,
                               ValidationState* state);

/// Whether a record refused by CheckRecord proves its worker wrong: what it
/// signed contradicts the chain's inputs or its re-execution. The other
/// refusals (bad-work-step, -duplicate, -not-ready, -unassigned) may be a
/// record that is early, late, already carried or judged at another clock;
/// a bad signature proves only that someone else tampered with it.
[[nodiscard]] bool IsWorkersFault(const ValidationState& state);

/// Records that `record` (already judged valid) is accepted in *next, the
/// state being built for a block at `height` and `time`: its unit is done,
/// its worker's wait restarts, and if it was the step's last unit the step
/// completes (sections advance to the UPDATE outputs, the step's mean loss
/// is kept) and *plan becomes the next step's plan from `engine`.
/// REQUIRES: plan is the plan of next->step and holds record.unit.
void AcceptRecord(const WorkRecord& record, uint32_t height, int64_t time,
                  const compute::Engine& engine, compute::StepPlan* plan, ConsensusState* next);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_CONNECT_H
