// Block assembly: what a producing node does.
//
// Given a parent's ConsensusState and a block time, the block first takes
// the records made elsewhere (the work pool's: other workers', relayed), in
// their order, each that still passes CheckRecord at the block's time —
// across step boundaries, so a block carries all work done since its parent.
// Then each in-process worker computes the ready units assigned to it
// (consensus/schedule.h) through the engine, stores their outputs, and
// signs a work record; units made ready by those records are computed in
// turn, so one block can carry a whole step. Local computing stops when the
// step completes, so that regtest `generate` commits every step's state root
// in a header (consensus allows more; this is the producer's choice). The
// block then gets its coinbase (one coin per record to its worker's payout,
// the fees to the producer's, zero-value bonds with their payouts for new
// workers where the bond is 0), its
// roots, the state root after it, and the producer's signature — from the
// key that holds the slot.
//
// Thread safety: one call per engine at a time (compute/engine.h).

#ifndef COMPUTECOIN_CONSENSUS_ASSEMBLER_H
#define COMPUTECOIN_CONSENSUS_ASSEMBLER_H

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "chain/block.h"
#include "chain/key.h"
#include "consensus/connect.h"

namespace cc {

/// One worker's turn: computes each unit that AssignedUnits gives `worker`
/// in *working at `time` (`order`: the unit order of the block's parent),
/// stores its outputs through ctx.store, signs the record, accepts it into
/// *working and *plan (AcceptRecord at `height` and `time`) and appends it
/// to *out. Stops after `max` records, or when the step completes (the
/// assignment was the old plan's). Returns the resolver's, engine's and
/// store's errors. REQUIRES: *plan is working->step's plan; ctx.store is set.
Status ComputeAssigned(const PrivateKey& worker, const std::vector<XOnlyPubKeyBytes>& order,
                       uint32_t height, int64_t time, const BlockContext& ctx, size_t max,
                       InputResolver* resolver,
                       compute::StepPlan* plan, ConsensusState* working,
                       std::vector<WorkRecord>* out);

struct AssemblyRequest {
  int64_t time = 0;                        //!< the block's time (≥ parent time)
  /// Records made elsewhere (the work pool's), in an order where each one's
  /// inputs come before it; those that fail CheckRecord at `time` under
  /// ctx's policy are left out, and so are records that depend on them.
  std::vector<WorkRecord> records;
  std::span<const PrivateKey> workers;     //!< keys that compute assigned units
  std::span<const PrivateKey> producers;   //!< keys that may sign the block
  std::vector<Transaction> txs;            //!< valid at the parent, in order, without coinbase
  Amount fees = 0;                         //!< their total fee
  /// Free registrations for the coinbase (bond 0 only): each a zero-value
  /// bond and its payout (which changes nothing for a key the parent
  /// registers already).
  std::vector<WorkerRegistration> registrations;
  uint32_t max_records = kMaxBlockRecords;  //!< stop computing after this many records
};

/// Builds and signs the child of `parent` (context as for ConnectBlock: its
/// coins must be the UTXO set at `parent` when request.txs is not empty;
/// request.records are judged under its policy). Before signing, the block
/// is applied (ApplyBlock, nothing re-executed) to learn the header's
/// commitments, so only a valid block is ever signed. On success stores it
/// in *out. Returns NotFound if none of request.producers holds the slot at
/// request.time (nothing is computed then), InvalidArgument if time is
/// before the parent's or "assembled an invalid block: <reason>" (a
/// transaction the parent's UTXO set refuses, say), and the engine's,
/// fetcher's or store's errors.
Status AssembleBlock(const ConsensusState& parent, const BlockContext& ctx,
                     const AssemblyRequest& request, Block* out);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_ASSEMBLER_H
