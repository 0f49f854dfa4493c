// Helpers shared by the node's chain RPC methods: reading the chain with
// Bitcoin Core's errors, and the JSON shapes of headers, transactions and
// work records.
//
// Error mapping: an unknown block is kRpcInvalidAddressOrKey "Block not
// found"; a store failure is kRpcDatabaseError with the Status text.
//
// Thread safety: free functions; ChainState may be read from any thread.

#ifndef COMPUTECOIN_NODE_RPC_HELPERS_H
#define COMPUTECOIN_NODE_RPC_HELPERS_H

#include <cstdint>

#include "chain/block.h"
#include "chain/block_store.h"
#include "chain/chain_state.h"
#include "chain/status.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"

namespace cc {

struct ChainTip {
  Uint256 hash;
  uint32_t height = 0;
};

/// Throws kRpcDatabaseError with s.ToString(). REQUIRES: !s.ok().
[[noreturn]] void ThrowStoreError(const Status& s);

/// The active tip. Throws kRpcDatabaseError (the node always has genesis).
ChainTip ReadTipOrThrow(const ChainState& chain);
/// The index entry of `hash`. Throws "Block not found" or a store error.
BlockIndexEntry ReadIndexOrThrow(const ChainState& chain, const Uint256& hash);
/// The block's data. Throws "Block not found", kRpcMiscError "Block data
/// not available" for a header-only entry, or a store error.
Block ReadBlockOrThrow(const ChainState& chain, const Uint256& hash);
/// True if `entry` is on the active chain.
[[nodiscard]] bool IsOnMainChain(const ChainState& chain, const BlockIndexEntry& entry);

/// The verbose header's fields (getblockheader, and the head of getblock),
/// written into an object the caller has begun.
void WriteHeaderFields(const ChainState& chain, const BlockIndexEntry& entry, const ChainTip& tip,
                       rpc::JsonWriter* out);
/// A decoded transaction's fields, written into an object the caller has begun.
void WriteTxFields(const Transaction& tx, rpc::JsonWriter* out);
/// A decoded work record, as an object.
void WriteRecord(const WorkRecord& record, rpc::JsonWriter* out);

/// WriteTxFields' object as a json tree, for replies that add fields to it.
rpc::json TxToJson(const Transaction& tx);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_RPC_HELPERS_H
