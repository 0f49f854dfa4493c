// ConsensusState: everything consensus knows after a block besides the UTXO
// set — the worker registry, the training step in progress and the model
// state commitment. It is a value: connecting a block maps (state of the
// parent, block) to the state of the block (consensus/connect.h), and the
// caller keeps one snapshot per block, so a reorg reloads the fork point's
// snapshot and rolls back exactly, by construction.
//
// Wire format (canonical: vectors sorted by their key, no duplicates):
//   ConsensusState = block_hash:Uint256 height:u32 time:i64
//                    workers:vector<WorkerEntry>        sorted by key
//                    step:u64 step_start_time:i64
//                    done:vector<UnitDone>              sorted by unit
//                    sections:vector<SectionState>      in section order
//                    accepted_work:u64 last_loss:float
//                    unit_order:vector<[32]>
//                    offences:vector<Uint256>           sorted
//                    slashed:vector<[32]>               sorted
//   WorkerEntry    = key:[32] registered_height:u32 bonds:u32
//                    has_work:bool last_work_height:u32 records:u64
//                    payout:Uint256 active_step:u64
//   UnitDone       = unit:UnitId outputs:vector<Uint256> time:i64 loss:float
//   SectionState   = weights:Uint256 optimizer_state:Uint256
//
// StateRoot() = MerkleRoot([compute::StateLeaf(s, weights_s, optimizer_s)]),
// the same value as compute::Engine::StateRoot() of an engine holding those
// tensors; it is what header.state_root commits.
// RegistryRoot() = MerkleRoot([RegistryLeaf(w) for w in workers]), in key
// order, with RegistryLeaf(w) = TaggedHash("Computecoin/RegistryLeaf",
// WorkerEntry encoding); it is what header.registry_root commits, so that a
// Merkle path shows a key registered after a given block (RegistryProof).
//
// Thread safety: a value; no shared state.

#ifndef COMPUTECOIN_CONSENSUS_CONSENSUS_STATE_H
#define COMPUTECOIN_CONSENSUS_CONSENSUS_STATE_H

#include <algorithm>
#include <cstdint>
#include <vector>

#include "chain/block.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/work.h"
#include "compute/engine.h"

namespace cc {

struct WorkerEntry {
  XOnlyPubKeyBytes key{};
  uint32_t registered_height = 0;  //!< height of the block holding its first live bond
  uint32_t bonds = 0;              //!< unspent bond outputs locked to key (registered while > 0)
  bool has_work = false;           //!< it has an accepted record
  uint32_t last_work_height = 0;   //!< height of its last accepted record, if has_work
  uint64_t records = 0;            //!< accepted records, i.e. coins earned
  /// The key hash its rewards and fees are paid to: what the kWorkerPayout
  /// output of the bond that registered it named (later bonds do not change it).
  Uint256 payout;
  /// The last training step in which it registered, had a record accepted
  /// or produced a block: what the schedule's ABSENCE rule reads.
  uint64_t active_step = 0;

  CC_SERIALIZE_METHODS(WorkerEntry, obj) {
    ar(obj.key, obj.registered_height, obj.bonds, obj.has_work, obj.last_work_height,
       obj.records, obj.payout, obj.active_step);
  }
  bool operator==(const WorkerEntry&) const = default;

  /// The height it has waited since: its last accepted record, else its registration.
  uint32_t WaitingSince() const { return has_work ? last_work_height : registered_height; }
};

/// The registry tree's leaf for `entry` (see RegistryRoot).
Uint256 RegistryLeaf(const WorkerEntry& entry);

/// A free registration a producer puts in its coinbase (bond-0 networks):
/// a zero-value kWorkerBond to `key` followed by a kWorkerPayout to `payout`
/// carrying `signature`, the key's signature of PayoutSigningHash(genesis,
/// key, payout) (chain/transaction.h; the regworker request's signature).
struct WorkerRegistration {
  XOnlyPubKeyBytes key{};
  Uint256 payout;
  SchnorrSigBytes signature{};
  bool operator==(const WorkerRegistration&) const = default;
};

/// The registration of `worker`'s key paying to `payout` on the network
/// whose genesis block id is `genesis_hash`, signed by the key.
WorkerRegistration SignRegistration(const PrivateKey& worker, const Uint256& genesis_hash,
                                    const Uint256& payout);

/// A unit of the current step whose record has been accepted.
struct UnitDone {
  UnitId unit;
  std::vector<Uint256> outputs;  //!< committed output hashes
  int64_t time = 0;              //!< time of the block that carried the record
  float loss = 0.0f;

  CC_SERIALIZE_METHODS(UnitDone, obj) { ar(obj.unit, obj.outputs, obj.time, obj.loss); }
  bool operator==(const UnitDone&) const = default;
};

struct SectionState {
  Uint256 weights;          //!< hash of the section's weights tensor
  Uint256 optimizer_state;  //!< hash of its optimizer state tensor

  CC_SERIALIZE_METHODS(SectionState, obj) { ar(obj.weights, obj.optimizer_state); }
  bool operator==(const SectionState&) const = default;
};

struct ConsensusState {
  Uint256 block_hash;  //!< the block this is the state after
  uint32_t height = 0;
  int64_t time = 0;  //!< that block's time
  std::vector<WorkerEntry> workers;
  uint64_t step = 0;             //!< the training step in progress
  int64_t step_start_time = 0;   //!< time of the block that completed the previous step
  std::vector<UnitDone> done;    //!< accepted units of `step`
  std::vector<SectionState> sections;
  uint64_t accepted_work = 0;  //!< records accepted on this chain (fork choice)
  float last_loss = 0.0f;      //!< mean lane loss of the last completed step
  /// The order the units of `step` are assigned by (consensus/schedule.h,
  /// UNITS): fixed while the step lasts, so that a worker's assignment does
  /// not change with every block.
  std::vector<XOnlyPubKeyBytes> unit_order;
  /// Ids of the offences slashed on this chain (chain/evidence.h), sorted:
  /// one offence slashes once, even if its offender bonds again.
  std::vector<Uint256> offences;
  /// Keys slashed on this chain, sorted: their bonds never register again
  /// (else a free registration would undo a slashing at once on a bond-0
  /// network, and a bond would buy back a key proven to cheat).
  std::vector<XOnlyPubKeyBytes> slashed;

  CC_SERIALIZE_METHODS(ConsensusState, obj) {
    ar(obj.block_hash, obj.height, obj.time, obj.workers, obj.step, obj.step_start_time, obj.done,
       obj.sections, obj.accepted_work, obj.last_loss, obj.unit_order, obj.offences, obj.slashed);
  }
  bool operator==(const ConsensusState&) const = default;

  Uint256 StateRoot() const;
  Uint256 RegistryRoot() const;

  /// Sets *entry to the registered worker `key` and *proof to the path from
  /// RegistryLeaf(*entry) to RegistryRoot(). Returns NotFound if `key` is
  /// not registered (both outputs then unchanged).
  Status RegistryProof(const XOnlyPubKeyBytes& key, WorkerEntry* entry, MerkleProof* proof) const;

  /// The registered worker with `key`, or null.
  const WorkerEntry* FindWorker(const XOnlyPubKeyBytes& key) const;
  WorkerEntry* FindWorker(const XOnlyPubKeyBytes& key);
  /// Where a block on this state pays what `key` earns (a record's coin, a
  /// producer's fees): its registry payout if it is registered, else
  /// KeyHash(key) (an unregistered producer on a network with no workers).
  Uint256 PayoutOf(const XOnlyPubKeyBytes& key) const;
  /// Whether `key` was slashed on this chain.
  bool IsSlashed(const XOnlyPubKeyBytes& key) const {
    return std::binary_search(slashed.begin(), slashed.end(), key);
  }
  /// The accepted unit `unit` of the current step, or null.
  const UnitDone* FindDone(const UnitId& unit) const;
  /// Records `d` (keeps `done` sorted). REQUIRES: FindDone(d.unit) == null.
  void AddDone(UnitDone d);
};

/// The state after `genesis`: no workers, step 0, the sections of `engine`.
/// REQUIRES: engine holds the initial model state (a fresh engine).
/// Returns InvalidArgument if the engine's state root is not
/// genesis.header.state_root (the engine is not the genesis model).
/// If `tensors` is not null it receives the sections' weights and optimizer
/// states, which the caller must store: step 0's units read them.
Status GenesisState(const Block& genesis, const compute::Engine& engine, ConsensusState* out,
                    std::vector<compute::EncodedTensor>* tensors = nullptr);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_CONSENSUS_STATE_H
