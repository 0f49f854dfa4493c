// Block assembly with in-process workers: what a producing node does.
//
// Given the tip's ConsensusState and a block time, each worker computes the
// ready units assigned to it (consensus/schedule.h) through the engine,
// stores their outputs, and signs a work record; units made ready by those
// records are computed in turn, so one block can carry a whole step. It
// stops when the step completes, so that every step's state root appears in
// a header (consensus allows more; this is the producer's choice). The block then gets its coinbase (one coin per record, the fees
// to the producer, zero-value bonds for new workers where the bond is 0),
// its roots, the state root after it, and the producer's signature — from
// the worker key that holds the slot.
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

/// Stores a unit's output tensor (tagged with its step) so that verifiers
/// can fetch it; sets *hash to its id. Returns the store's errors.
using TensorSink =
    std::function<Status(const compute::EncodedTensor& tensor, uint64_t step, Uint256* hash)>;

struct AssemblyRequest {
  int64_t time = 0;                        //!< the block's time (> parent time)
  std::span<const PrivateKey> workers;     //!< keys that compute assigned units
  std::span<const PrivateKey> producers;   //!< keys that may sign the block
  std::vector<Transaction> txs;            //!< valid at the parent, in order, without coinbase
  Amount fees = 0;                         //!< their total fee
  std::vector<XOnlyPubKeyBytes> register_keys;  //!< zero-value bonds in the coinbase (bond 0 only)
  uint32_t max_records = kMaxBlockRecords;  //!< stop computing after this many records
};

/// Builds and signs the child of `parent` (context as for ConnectBlock; its
/// coins and policy are not used). On success stores it in *out.
/// Returns NotFound if none of request.producers holds the slot at
/// request.time (nothing is computed then), InvalidArgument if time is not
/// after the parent's, and the engine's, fetcher's or sink's errors.
Status AssembleBlock(const ConsensusState& parent, const BlockContext& ctx,
                     const TensorSink& sink, const AssemblyRequest& request, Block* out);

}  // namespace cc

#endif  // COMPUTECOIN_CONSENSUS_ASSEMBLER_H
