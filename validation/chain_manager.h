// ChainManager: the node's validated chain — consensus on top of storage.
//
// It owns the tensor store ("<datadir>/tensors"), the engine, the training
// data and a LevelDB of ConsensusState snapshots ("<datadir>/consensus",
// key 's' ‖ block hash → Serialize(ConsensusState)), one per validated
// block; it uses the node's ChainState (blocks and UTXO set). New blocks go
// through ProcessNewBlock: a block on the tip is validated (ConnectBlock)
// and connected; a block on another branch is stored, and if its branch may
// carry more accepted work (fork choice, consensus/fork_choice.h) the chain
// is reorganised: disconnect to the fork point, reload the fork point's
// snapshot, validate and connect the branch; if a branch block is invalid it
// is marked failed and the old branch is restored. Rollback of the registry,
// step and model commitments is exact because each block's state is a
// stored value. After a change of tip the engine re-imports the tip's
// section weights from the tensor store, so inference uses the tip's model.
//
// Assume-valid: a node that joins more than the retention behind cannot
// re-execute the old records (no peer keeps their inputs). Until it first
// catches up (a recent tip close to the best header), records of steps more
// than half the retention behind the best header chain (AcceptHeader) are
// connected without re-execution when their block is an ancestor of that
// header, and the tip's weights are loaded from the first state whose
// tensors peers still keep (ModelLoaded() is false until then).
// TensorsToConnect says what a block needs; doc/consensus.md §6 states the
// trust this implies.
//
// Retention: as the tip's step advances the tensor store drops tensors of
// steps older than tip step − keep_steps (and keeps the tip's weights), so a
// reorg can re-verify a branch forking up to keep_steps steps back. That is
// also the maximum reorganisation depth: a heavier branch that forks further
// back is stored but never switched to (logged), since its work could not
// be checked here; the node's operator decides (e.g. -reindex from peers
// that carry it). Replay of this node's own main chain (a lost or partial consensus
// directory) re-executes nothing: those blocks were validated when first
// connected, and the states follow from the committed hashes alone.
//
// Crash safety across the stores (doc/architecture.md, "Write order"): a
// block's tensors are durable before the block is connected; the chain
// database's connect batch is the commit point; the block's snapshot is
// written after it and is derivable, so Open replays whatever snapshots a
// crash lost, resuming from the highest one on the main chain and never
// writing to the chain database (the tip never moves back). A reorganisation
// is recorded in the consensus database before its first disconnect and
// erased after its last connect; Open finishes one a crash interrupted.
// Recovery members (Replay, ResumeReorganization, ActivateStoredBlocks,
// VerifyChain) live in validation/recovery.cpp.
//
// Regtest production: Generate() lets the in-process workers compute their
// assigned units and produces blocks (consensus/assembler.h).
//
// Thread safety: every public method takes mu_; the ChainState passed in
// must not be written by anyone else while this object lives.

#ifndef COMPUTECOIN_VALIDATION_CHAIN_MANAGER_H
#define COMPUTECOIN_VALIDATION_CHAIN_MANAGER_H

#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "chain/chain_state.h"
#include "chain/evidence.h"
#include "chain/fraud_proof.h"
#include "chain/key.h"
#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/evaluate.h"
#include "compute/tensor_store.h"
#include "consensus/assembler.h"
#include "consensus/chainparams.h"
#include "consensus/connect.h"
#include "consensus/consensus_state.h"
#include "validation/verified_records.h"

namespace leveldb {
class DB;
}

namespace cc {

/// Told of every change of the main chain (Bitcoin Core's
/// CValidationInterface): after the change, outside the manager's lock, in
/// the order the changes happened, from the thread that made them. A
/// reorganisation reports its disconnections (tip first) and then its
/// connections; a reorganisation that fails and is rolled back reports
/// nothing. Listeners may call the manager's const methods.
class ChainListener {
 public:
  virtual ~ChainListener() = default;
  /// `block` became the tip at `height`.
  virtual void BlockConnected(const Block& block, uint32_t height) = 0;
  /// `block`, at `height`, left the main chain.
  virtual void BlockDisconnected(const Block& block, uint32_t height) = 0;
};

struct ChainManagerOptions {
  VerifyPolicy policy;  //!< -verify=all|sample=P
  bool sync = true;     //!< fsync snapshot and tensor writes
  compute::EngineOptions engine;
  /// Makes the engine (compute::MakeTorchEngine in the daemon). Required:
  /// this layer never links a backend itself.
  compute::EngineFactory engine_factory;
  /// Tensor retention, in training steps; unset: the network's
  /// ChainParams::tensor_retention_steps. Tests shorten it.
  std::optional<uint64_t> keep_steps;
  /// Assume-valid by depth during the initial download (file comment);
  /// false (-assumevalid=0): every record is re-executed, and a node joining
  /// beyond its peers' retention waits for tensors nobody serves.
  bool assume_valid = true;
  /// Records re-executed already (the work pool's), not re-executed again
  /// in blocks. Not owned; may be null; must outlive the manager.
  const VerifiedRecords* verified = nullptr;
  /// Polled between blocks by the long operations — replay in Open,
  /// ActivateStoredBlocks (-reindex), VerifyChain: once it returns true they
  /// stop and return Status::Interrupted, keeping every block they finished
  /// (each is resumable). May be empty: never interrupted.
  std::function<bool()> interrupted;
};

/// The one genesis bootstrap: writes `params`' genesis block to an empty
/// chain, and checks that a non-empty chain starts with it. Returns
/// Corruption "Incorrect or no genesis block found. Wrong datadir for
/// network?" for another network's chain, and the store's errors.
/// ChainManager::Open calls it; so may a node that reads the chain before
/// consensus is up.
Status BootstrapGenesis(const ChainParams& params, ChainState* chain);

/// Picks the transactions for a block about to be assembled on the tip
/// (valid there, in order, without a coinbase) and their total fee; the
/// node's mempool is one (Mempool::SelectForBlock).
using TxSelector = std::function<void(std::vector<Transaction>* txs, Amount* fees)>;

/// The key hash a worker key registers to be paid at (its wallet's address).
using PayoutFor = std::function<Uint256(const XOnlyPubKeyBytes& worker)>;

/// Bounds on ChainManager's watch for offences: the (parent, producer)
/// slots remembered, and the evidence kept until taken.
inline constexpr size_t kMaxWatchedSlots = 4096;
inline constexpr size_t kMaxPendingEvidence = 64;

class ChainManager {
 public:
  /// Opens the stores under `datadir` and brings consensus to the chain's
  /// tip: connects genesis to an empty chain, replays the main chain from
  /// its highest snapshot when the tip's is missing (a fresh or partial
  /// consensus directory), and finishes a reorganisation a crash
  /// interrupted. Never disconnects a block to do so.
  /// REQUIRES: chain outlives the manager. On success *out is set (owned
  /// by the caller). Returns the stores' and engine's errors, InvalidArgument
  /// without options.engine_factory, or Corruption if a stored block or its
  /// undo data is damaged or fails validation on replay, or the consensus
  /// directory holds a database that LevelDB cannot open (OpenLevelDb: it
  /// is never recreated over); the chain database is then unchanged.
  /// Recovery from those is -reindex (validation/reindex.h). Returns
  /// Interrupted when options.interrupted stops a replay (resumed next time).
  static Status Open(const ChainParams& params, ChainState* chain,
                     const std::filesystem::path& datadir, const ChainManagerOptions& options,
                     std::unique_ptr<ChainManager>* out);
  ~ChainManager();
  ChainManager(const ChainManager&) = delete;
  ChainManager& operator=(const ChainManager&) = delete;

  /// Validates `block` and connects it, reorganising if its branch wins.
  /// Returns true if the block is valid (whether or not it became the tip);
  /// false with *state set otherwise (kMissingPrev for an unknown parent).
  [[nodiscard]] bool ProcessNewBlock(const Block& block, ValidationState* state);

  /// Produces `count` blocks on the tip with `workers` computing and
  /// signing, each with the transactions `select_txs` (if set) picks when
  /// it is assembled; unregistered workers register (zero bond) in the
  /// first block, paying to payout_of(key) (KeyHash(key) if payout_of is
  /// empty: the node has no wallet to pay to).
  /// Each block's time is max(now, tip time), moved forward a slot at a
  /// time when no local key holds the slot, but never past max_future_time
  /// ahead (peers would refuse it). Appends the new hashes to *hashes (if
  /// not null), each of a block that became the tip: calls run one at a
  /// time, and a block whose parent stopped being the tip before it was
  /// connected (a peer's block, invalidateblock) is made again on the new
  /// tip, up to 8 times (then Interrupted). Returns InvalidArgument without
  /// workers or when the network's bond is not 0, NotFound when no local
  /// key holds a slot within reach, and assembly or validation errors.
  Status Generate(uint32_t count, const std::vector<PrivateKey>& workers, int64_t now,
                  std::vector<Uint256>* hashes, const TxSelector& select_txs = {},
                  const PayoutFor& payout_of = {});

  /// Assembles (consensus/assembler.h) and signs a child of the validated
  /// block `parent`, storing the tensors its workers compute; does not
  /// process it. request.txs are judged against the tip's UTXO set, so a
  /// parent other than the tip takes none. Returns NotFound if `parent` was
  /// never validated or no producer holds the slot, and AssembleBlock's errors.
  Status Assemble(const Uint256& parent, const AssemblyRequest& request, Block* out);

  /// Bitcoin Core's checkpoint rules (ChainParams::checkpoints) for a header
  /// about to be accepted, by header sync or with its block: at a
  /// checkpoint's height it must be that block ("checkpoint-mismatch"); a
  /// header not yet in the block index below the highest checkpoint that is
  /// forks below it ("bad-fork-prior-to-checkpoint"). Both kConsensus.
  /// Returns true if neither applies. Reads the block index only (no lock).
  [[nodiscard]] bool CheckCheckpoints(const BlockHeader& header, ValidationState* state) const;

  /// Accepts a header from header sync (Bitcoin Core's AcceptBlockHeader):
  /// CheckCheckpoints, then the block index stores it, and it becomes the
  /// best header if it commits more accepted work than the best so far (as
  /// much: a greater height). REQUIRES: the parent is indexed and the
  /// caller checked CheckHeaderContext and the producer's signature.
  /// Returns true, or false with *state: CheckCheckpoints' reasons, or
  /// "bad-header" (kConsensus) with the index's error as debug. Takes only
  /// the best header's own lock: callers may hold theirs.
  [[nodiscard]] bool AcceptHeader(const BlockHeader& header, ValidationState* state);

  /// The tensors to fetch before `block` is processed, that this node does
  /// not hold, each with the training step it belongs to (the tensor
  /// store's retention key) and the length its plan slot gives it (a record
  /// the plan has no place for, refused at connection, adds none): the outputs of the records it will re-execute
  /// but UPDATE's, which CheckRecord recomputes (OutputsAreRecomputed);
  /// the outputs of the last assumed-valid step's UPDATE records (the first
  /// re-executed step reads them); and, for a child of the tip that
  /// re-executes, the tensors the tip's state names that assumed-valid
  /// records made; and the tensors its slashing transactions' wrong-work
  /// evidence re-executes (EvidenceTensors). Empty when every record is assumed valid (file comment),
  /// or when `block` was validated already. Takes the manager's lock.
  std::vector<compute::TensorToFetch> TensorsToConnect(const Block& block);

  /// What a block received from a peer must pass before anything is fetched
  /// for it: CheckHeaderSignature and, when its parent's state is known,
  /// CheckHeaderAgainstParent
  /// at this node's clock (a key without the slot cannot make the node
  /// fetch tensors). True with the parent unknown: the block waits for it.
  /// Returns false with *state set otherwise. Takes the manager's lock.
  [[nodiscard]] bool CheckBeforeFetch(const Block& block, ValidationState* state);

  /// The tensors this node lacks that judging slashing transaction `tx` in
  /// the mempool re-executes (its wrong-work evidence's EvidenceTensors),
  /// with their steps and lengths; empty for any other transaction. What a node fetches
  /// from the peer that relayed `tx` when acceptance says
  /// work-tensor-missing.
  std::vector<compute::TensorToFetch> TensorsToCheck(const Transaction& tx);

  /// Adds a listener. REQUIRES: it outlives this manager or is removed
  /// first; not called from a listener's callback.
  void AddListener(ChainListener* listener);
  void RemoveListener(ChainListener* listener);

  /// Sets which records later blocks re-execute (-verify).
  void SetVerifyPolicy(const VerifyPolicy& policy);

  /// Whether the tensor store holds `hash` (no read: an index lookup).
  [[nodiscard]] bool HaveTensor(const Uint256& hash) const;
  /// A committed tensor, to serve to peers. NotFound if not stored.
  Status GetTensor(const Uint256& hash, compute::EncodedTensor* out) const;
  /// Stores a tensor (a record's output, received or computed) for `step`;
  /// sets *hash (if not null) to its id. Not fsynced: a record's outputs
  /// can be fetched again by hash or recomputed, and the ones a restart
  /// needs — the state's section tensors — are synced when a block that
  /// commits them is connected, before its snapshot. Returns the store's
  /// errors.
  Status PutTensor(const compute::EncodedTensor& tensor, uint64_t step, Uint256* hash = nullptr);
  /// As PutTensor, for a tensor whose id the caller has just computed or
  /// matched (TensorStore::PutHashed). REQUIRES: hash == tensor.Hash().
  Status PutTensorHashed(const compute::EncodedTensor& tensor, const Uint256& hash, uint64_t step);

  /// Whether the engine holds the tip's weights: false while an initial
  /// download connects assumed-valid history whose tensors no peer keeps.
  /// Complete, ExportModel, MakeSectionServer and Evaluate then return
  /// NotFound.
  [[nodiscard]] bool ModelLoaded() const;

  /// Greedy completion of each prompt by the tip's model (the engine's
  /// weights follow the tip). Returns the engine's errors.
  Status Complete(std::span<const std::string> prompts, uint32_t max_tokens,
                  std::vector<std::string>* out);
  /// The tip's model as the chain committed it: *tip gets the tip's state
  /// (its sections' hashes and StateRoot()), *params every parameter of the
  /// engine's weights, taken together under the lock so they match.
  /// Returns the engine's errors.
  Status ExportModel(ConsensusState* tip, compute::ParamValues* params) const;
  /// A server of sections [begin, end) (compute/serve.h) over a copy of the
  /// tip's weights, and *state_root, the root that commits them (taken under
  /// the same lock, so the two agree). The caller owns the server. Returns
  /// the engine's errors (InvalidArgument for a range of partial atoms).
  Status MakeSectionServer(uint32_t begin, uint32_t end, const compute::ServeLimits& limits,
                           std::unique_ptr<compute::SectionServer>* out, Uint256* state_root);
  /// The leaves of sections [begin, end) under the tip's state root, each
  /// with its Merkle path: what evidence of a holder's wrong answer on the
  /// weights of that root carries (chain/evidence.h). Returns NotFound if
  /// `state_root` is not the tip's, InvalidArgument for a range outside the
  /// partition.
  Status StateProof(const Uint256& state_root, uint32_t begin, uint32_t end,
                    std::vector<SectionProof>* out) const;
  /// Exact-match accuracy of the tip's model on `count` held-out problems
  /// drawn by `seed` (compute/evaluate.h), for an addition dataset.
  /// Returns NotSupported for another dataset, and EvaluateAddition's errors.
  Status Evaluate(uint64_t count, uint64_t seed, compute::Evaluation* out);

  /// -reindex's second half: connects the stored blocks that are not part
  /// of a validated chain, lowest height first (first-seen order within a
  /// height), extending the tip or going through fork choice as
  /// ProcessNewBlock does. Blocks extending the tip are re-verified under
  /// the -verify policy; where a record's tensors are gone (retention) the
  /// block is connected on trust instead, and counted and logged as such.
  /// Blocks that fail validation are marked failed and skipped. Resumable:
  /// blocks already validated are skipped. Listeners are told as usual.
  /// On success fills *stats (if not null). Returns the stores' and the
  /// engine's errors, and Interrupted when options.interrupted stops it.
  struct ReindexStats {
    uint32_t connected = 0;  //!< blocks validated now
    uint32_t trusted = 0;    //!< of which connected without re-executing their work
    uint32_t rejected = 0;   //!< blocks that failed validation
    uint32_t waiting = 0;    //!< above a block whose data is lost: kept, not validated
  };
  Status ActivateStoredBlocks(ReindexStats* stats);

  /// Checks the last `nblocks` main-chain blocks (all when 0 or more than
  /// the tip's height; genesis excepted) at `level` (Bitcoin Core's
  /// -checklevel, each level including the lower ones): 0 reads each block
  /// and checks it hashes to its key; 1 checks it (CheckBlock) and its
  /// snapshot (block, height, state root); 2 reads its undo data; 3 rewinds
  /// the UTXO set over them in memory, checking the undo data against it;
  /// 4 reconnects them in memory from the earliest one's parent snapshot
  /// (re-executing work under the -verify policy where tensors remain) and
  /// compares each state with the stored snapshot. Writes nothing.
  /// REQUIRES: 0 <= level <= 4. Returns OK if all is well, else Corruption
  /// (or the store's error) naming the first bad block and what is wrong;
  /// Interrupted when options.interrupted stops it.
  Status VerifyChain(int level, uint32_t nblocks);

  /// Judges the evidence of slashing transaction `tx` (CheckTransaction
  /// passed) against the tip (consensus/evidence.h): the mempool's
  /// EvidenceChecker. Wrong work is re-executed whatever -verify says, so a
  /// node relays and mines only evidence it checked itself. Returns true, or
  /// false with *state set (CheckEvidence's reasons).
  [[nodiscard]] bool CheckSlash(const Transaction& tx, ValidationState* state);

  /// Evidence found in blocks since the last call, at most one per offender
  /// and kMaxPendingEvidence pending; cleared. The node reports it
  /// (node/miner.h). Two kinds: double production (a block whose producer
  /// already signed another block on the same parent, both signatures
  /// checked) and wrong work (a block on the tip refused because a record's
  /// re-execution disagrees: the first of its records that CheckEvidence
  /// proves wrong).
  std::vector<Evidence> TakeEvidence();

  /// Fraud proofs (chain/fraud_proof.h) of the blocks refused since the last
  /// call for a re-execution's verdict, one per block, at most
  /// kMaxPendingEvidence pending; cleared. The node relays them
  /// (net/net_processing.h) so that peers that sampled and accepted such a
  /// block leave it.
  std::vector<FraudProof> TakeFraudProofs();

  /// Judges a fraud proof from a peer and, if it holds, invalidates its
  /// block as InvalidateBlock does and keeps the record's wrong-work evidence
  /// for slashing (TakeEvidence). The record is re-executed whatever -verify
  /// says (consensus/evidence.h, CheckFraudProofWork).
  /// Returns true if the proof holds (the block is now failed); false with
  /// *state set otherwise:
  ///   CheckFraudProof's and CheckFraudProofWork's reasons (kConsensus: the
  ///   proof is wrong, e.g. bad-evidence-work-correct);
  ///   work-tensor-missing (kMissingInputs): the tensors in *missing (the
  ///   ones not stored here; appended) are needed first;
  ///   fraud-block-unknown (kMissingPrev): its block, or the state after the
  ///   block's parent, is not known here (yet);
  ///   fraud-block-known-invalid (kConflict): its block is marked failed
  ///   already;
  ///   Error for the stores' and engine's failures.
  /// REQUIRES: state and missing not null.
  [[nodiscard]] bool ProcessFraudProof(const FraudProof& proof, ValidationState* state,
                                       std::vector<compute::TensorToFetch>* missing);

  /// Bitcoin Core's invalidateblock: disconnects block `hash` if it is on
  /// the main chain, marks it and every stored descendant failed (they are
  /// never connected again; their snapshots are erased), and switches to the
  /// best remaining branch that validates (fork choice, within the maximum
  /// reorganisation depth). Listeners are told as for a reorganisation.
  /// Returns NotFound for an unknown block, InvalidArgument for genesis, and
  /// the stores' errors.
  Status InvalidateBlock(const Uint256& hash);

  /// Bitcoin Core's reconsiderblock: removes the failed mark of block
  /// `hash`, of its ancestors and of every stored descendant, then switches
  /// to the best branch that validates — re-validating the reconsidered
  /// blocks, which are marked failed again if they are still invalid.
  /// Returns NotFound for an unknown block, and the stores' errors.
  Status ReconsiderBlock(const Uint256& hash);

  /// A copy of the tip's consensus state.
  ConsensusState Tip() const;
  /// The stored state after block `hash`. NotFound if it was never validated.
  Status GetState(const Uint256& hash, ConsensusState* out) const;

 private:
  // What TensorsToConnect and TensorsToCheck collect, by id.
  using TensorWants = std::map<Uint256, compute::TensorToFetch>;
  ChainManager(const ChainParams& params, ChainState* chain, const ChainManagerOptions& options);

  BlockContext Context();  // REQUIRES: mu_ held.
  // REQUIRES: mu_ held.
  Status AssembleOn(const ConsensusState& parent, const AssemblyRequest& request, Block* out);
  Status GetStateLocked(const Uint256& hash, ConsensusState* out) const;
  Status PutState(const ConsensusState& state);
  // Imports `state`'s section tensors into the engine unless it holds them
  // already. Those not stored (assumed-valid history) leave the model
  // unloaded (ModelLoaded), which is not an error. REQUIRES: mu_ held.
  Status LoadEngine(const ConsensusState& state);
  // NotFound while the model is not loaded; OK otherwise. REQUIRES: mu_ held.
  Status CheckModelLoaded() const;
  // Adds to *want the tensors that `tx`'s wrong-work evidence re-executes
  // when its record's step is not below `line`, or the weights its
  // wrong-inference evidence recomputes when the tip's step is not below it
  // (nothing for other txs). REQUIRES: mu_ held.
  void AddEvidenceTensors(const Transaction& tx, uint64_t line, TensorWants* want) const;
  // Adds `tensor` to *want; one named in two slots is fetched up to the
  // longer (the shorter may be a liar's).
  static void Want(const compute::TensorToFetch& tensor, TensorWants* want);
  // Section `section`'s UPDATE in plan_ (its outputs: the section's weights
  // and optimizer state), or nullptr past the last section.
  const compute::PlannedUnit* SectionUpdate(uint32_t section) const;
  // Those of `want` that the store does not hold.
  std::vector<compute::TensorToFetch> Missing(const TensorWants& want) const;
  // Records of steps below the result are assumed valid when `header`'s
  // block is connected on the tip (file comment): every step for a
  // checkpointed block; during the initial download, for an ancestor of the
  // best header, that header's step less half the retention; else 0. Ends
  // the initial download once the tip is that close. REQUIRES: mu_ held.
  uint64_t AssumeValidBelowStep(const BlockHeader& header);
  Status MaybePrune();                             // REQUIRES: mu_ held.
  // Rebuilds the missing snapshots from the highest main-chain block that
  // has one up to the tip, in memory over RewoundCoins; each is written as
  // it is made, so a crash loses nothing done. REQUIRES: mu_ held.
  Status Replay();
  // For a chain at genesis: Corruption if the consensus database holds the
  // state of any other block (the chain database lost its blocks; carrying
  // on would start a new chain over them).
  Status CheckChainNotLost(const Uint256& genesis) const;
  // The reorganisation marker: key 'r' -> old tip (32) ‖ new tip (32).
  Status PutReorgMarker(const Uint256& old_tip, const Uint256& new_tip);
  Status EraseReorgMarker();
  // Finishes a recorded reorganisation: to its new tip (also from the old
  // tip, unless the new branch holds a block marked failed), or back to the
  // old one if the new branch fails. REQUIRES: mu_ held.
  Status ResumeReorganization();
  // Connects `block` on the tip under the -verify policy, or on trust if its
  // tensors are gone (*trusted set). REQUIRES: mu_ held.
  bool ConnectReverified(const Block& block, bool* trusted, ValidationState* state);
  // REQUIRES: mu_ held. `policy` overrides options_.policy (replay).
  // Records of steps below assume_valid_below_step are not re-executed.
  bool ConnectOnTip(const Block& block, ValidationState* state,
                    const VerifyPolicy* policy = nullptr, uint64_t assume_valid_below_step = 0);
  bool Reorganize(const Uint256& new_tip, ValidationState* state);         // REQUIRES: mu_ held.
  // Reorganize between a recorded marker and its erasure (the marker survives
  // only an internal error halfway, for the next start). REQUIRES: mu_ held.
  bool ReorganizeRecorded(const Uint256& new_tip, uint32_t height, ValidationState* state);
  // InvalidateBlock's and ProcessFraudProof's work. REQUIRES: mu_ held.
  Status InvalidateLocked(const Uint256& hash);
  Status ReconsiderLocked(const Uint256& hash);  // REQUIRES: mu_ held.
  bool ProcessFraudProofLocked(const FraudProof& proof, ValidationState* state,
                               std::vector<compute::TensorToFetch>* missing);
  // Switches to the stored branch that fork choice ranks above the tip, if
  // any validates; reloads the engine. REQUIRES: mu_ held.
  Status ActivateBestChain();
  Status EraseState(const Uint256& hash);
  // Whether `block` is the last checkpoint or one of its ancestors (then its
  // records are not re-executed: doc/consensus.md, "Checkpoints"). False
  // until the last checkpoint's header is in the block index.
  // REQUIRES: mu_ held.
  bool IsCheckpointed(const BlockHeader& header);
  bool ProcessNewBlockLocked(const Block& block, ValidationState* state);  // REQUIRES: mu_ held.
  // Remembers the first header seen per (parent, producer) and keeps
  // evidence when a second, differently signed one arrives. REQUIRES: mu_ held.
  void WatchSlot(const BlockHeader& header);
  // After `block` was refused on the tip for `state`: keeps evidence of its
  // first record proven wrong, if the refusal was a re-execution's.
  // REQUIRES: mu_ held.
  void FindWrongRecord(const Block& block, const ValidationState& state);
  // Keeps `evidence` unless its offender has some already or the bound is
  // reached. REQUIRES: mu_ held.
  void KeepEvidence(Evidence evidence);

  struct ChainEvent {
    bool connected;
    Block block;
    uint32_t height;
  };
  // Delivers and clears pending_. REQUIRES: notify_mu_ held, mu_ not held.
  void Notify();
  // Runs `change` under mu_, then delivers what it queued: the shape of every
  // public method that may move the tip. REQUIRES: neither mutex held.
  template <typename Change>
  auto ChangeAndNotify(Change change) {
    std::lock_guard<std::mutex> notify_lock(notify_mu_);
    auto result = [&] {
      std::lock_guard<std::mutex> lock(mu_);
      return change();
    }();
    Notify();
    return result;
  }

  const ChainParams& params_;
  ChainState* const chain_;
  bool Interrupted() const { return options_.interrupted && options_.interrupted(); }

  ChainManagerOptions options_;  // policy GUARDED_BY(mu_); the rest constant
  const uint64_t keep_steps_;    // options_.keep_steps or the network's retention
  std::unique_ptr<compute::TensorStore> tensors_;
  std::unique_ptr<leveldb::DB> states_db_;
  compute::Dataset dataset_;

  // Held across a whole Generate, before every other lock.
  std::mutex generate_mu_;
  // Lock order: notify_mu_, then mu_. notify_mu_ is held across a change
  // and its delivery, so listeners see changes in order.
  std::mutex notify_mu_;
  std::vector<ChainListener*> listeners_;  // GUARDED_BY(notify_mu_)
  mutable std::mutex mu_;
  std::vector<ChainEvent> pending_;          // GUARDED_BY(mu_): changes not yet delivered
  std::unique_ptr<compute::Engine> engine_;  // GUARDED_BY(mu_)
  ConsensusState tip_;                       // GUARDED_BY(mu_)
  uint64_t pruned_at_step_ = 0;              // GUARDED_BY(mu_): tip step of the last prune
  // The last checkpoint's chain by height, once its header is indexed.
  std::vector<Uint256> checkpointed_;  // GUARDED_BY(mu_)
  // Step 0's plan: every step's lists the same units and slots.
  compute::StepPlan plan_;
  uint64_t units_per_step_ = 1;  // a step's plan size: accepted work per step
  // The engine holds these section states (when model_loaded_).
  std::vector<SectionState> loaded_sections_;  // GUARDED_BY(mu_)
  bool model_loaded_ = false;                  // GUARDED_BY(mu_)
  bool reported_unloaded_ = false;             // GUARDED_BY(mu_): logged, not loaded since
  bool initial_download_ = true;               // GUARDED_BY(mu_): assume-valid applies
  // Lock order: mu_, then best_mu_ (AcceptHeader takes best_mu_ alone, so
  // header sync never waits for a block's validation).
  mutable std::mutex best_mu_;
  std::optional<BlockHeader> best_header_;  // GUARDED_BY(best_mu_)
  std::vector<Uint256> best_chain_;         // GUARDED_BY(best_mu_): its ancestors by height
  // GUARDED_BY(mu_): the first header per (prev, producer), oldest first in
  // slot_order_ for eviction; evidence not yet taken; offenders found.
  std::map<std::pair<Uint256, XOnlyPubKeyBytes>, BlockHeader> slots_;
  std::deque<std::pair<Uint256, XOnlyPubKeyBytes>> slot_order_;
  std::vector<Evidence> evidence_;
  // Blocks whose data a reindex found lost while blocks above them are
  // stored (ActivateStoredBlocks): when one connects, so do those. Guarded
  // by mu_; not kept across restarts.
  std::set<Uint256> lost_below_stored_;
  std::vector<FraudProof> fraud_proofs_;  // not yet taken
  std::set<XOnlyPubKeyBytes> offenders_;
};

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_CHAIN_MANAGER_H
