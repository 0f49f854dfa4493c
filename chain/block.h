// Block headers and blocks.
//
// Headers link by hash. Each commits four Merkle roots (merkle.h scheme):
//   tx_root        over the wtxids of the block's transactions (signatures
//                  included, see transaction.h), coinbase first
//   work_root      over WorkRecord::Hash() of its records, in block order
//   state_root     over the model state after this block
//   registry_root  over the worker registry after this block
// (consensus/ computes the last two), the chain's accepted work — records
// accepted from genesis through this block, what fork choice ranks by — so
// that headers alone rank chains and prove a producer registered, and is
// signed by the producer whose slot it was.
//
// Wire format (kBlockHeaderSize bytes):
//   BlockHeader = version:u32 height:u32 prev:Uint256 tx_root:Uint256
//                 work_root:Uint256 state_root:Uint256 registry_root:Uint256
//                 accepted_work:u64 time:i64 producer:[32] signature:[64]
//   Block       = header:BlockHeader txs:vector<Transaction> records:vector<WorkRecord>
// Block id = Hash256(header encoding without the signature); the producer
// signs TaggedHash(tags::kBlockSig, block id). Excluding the signature from
// the id means a re-signed header is still the same block.

#ifndef COMPUTECOIN_CHAIN_BLOCK_H
#define COMPUTECOIN_CHAIN_BLOCK_H

#include <cstdint>
#include <vector>

#include "chain/serialize.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/work.h"

namespace cc {

/// The size of every encoded BlockHeader.
inline constexpr size_t kBlockHeaderSize = 4 + 4 + 5 * 32 + 8 + 8 + 32 + 64;

struct BlockHeader {
  uint32_t version = 1;
  uint32_t height = 0;
  Uint256 prev;
  Uint256 tx_root;
  Uint256 work_root;
  Uint256 state_root;
  Uint256 registry_root;
  uint64_t accepted_work = 0;  //!< work records accepted from genesis through this block
  int64_t time = 0;            //!< seconds since the Unix epoch
  XOnlyPubKeyBytes producer{};
  SchnorrSigBytes signature{};

  CC_SERIALIZE_METHODS(BlockHeader, obj) {
    ar(obj.version, obj.height, obj.prev, obj.tx_root, obj.work_root, obj.state_root,
       obj.registry_root, obj.accepted_work, obj.time, obj.producer, obj.signature);
  }
  bool operator==(const BlockHeader&) const = default;

  /// The block id (see file comment).
  Uint256 Hash() const;
  /// What the producer signs: TaggedHash(tags::kBlockSig, Hash()).
  Uint256 SigningHash() const;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;
  std::vector<WorkRecord> records;

  CC_SERIALIZE_METHODS(Block, obj) { ar(obj.header, obj.txs, obj.records); }
  bool operator==(const Block&) const = default;

  Uint256 Hash() const { return header.Hash(); }
  /// Merkle root over the wtxids, in order.
  Uint256 ComputeTxRoot() const;
  /// Merkle root over the record hashes, in order.
  Uint256 ComputeWorkRoot() const;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_BLOCK_H
