// TensorAssembler: reassembles one tensor fetched by content hash in chunks
// (gettensor/tensor, see net/messages.h) and checks it before anyone uses it.
//
// Contract: the requester names the tensor by hash; a peer answers with chunks
// that each carry that hash, the tensor's total size and the chunk's offset.
// Chunks may come out of order and from several peers (resume elsewhere after a
// disconnect by asking for NextMissingOffset()). The first chunk fixes the total
// size; it must not exceed the bound the caller set, and later chunks must agree.
// Nothing is trusted until Finish() has hashed the whole and compared it with the
// requested hash; the hash function is the caller's (compute/ owns tensor hashing).
//
// Memory: contiguous bytes from offset 0 are kept in one buffer that grows as they
// arrive; chunks that land ahead of it wait in a map of at most
// kMaxPendingChunks entries. So a peer can make us hold at most
// max_total_size + kMaxPendingChunks * kMaxTensorChunk bytes, and only by sending them.
//
// Thread safety: none; owned by the message layer.

#ifndef COMPUTECOIN_NET_TENSOR_TRANSFER_H
#define COMPUTECOIN_NET_TENSOR_TRANSFER_H

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "chain/hash.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "net/messages.h"

namespace cc::net {

class TensorAssembler {
 public:
  /** Out-of-order chunks held ahead of the contiguous prefix: enough for 16 peers
   *  serving in parallel, 16 MiB at most. */
  static constexpr size_t kMaxPendingChunks = 16;

  using HashFn = std::function<Uint256(ByteSpan)>;

  /** REQUIRES: 0 < max_total_size <= kMaxTensorSize. */
  TensorAssembler(const Uint256& id, uint64_t max_total_size);

  /** Adds one chunk.
   *  Returns: OK (also for a chunk entirely below what we already hold, a harmless
   *           duplicate); Corruption("tensor-wrong-hash") if chunk.hash != id,
   *           ("tensor-too-large") if its total exceeds the bound, ("tensor-size-mismatch")
   *           if it disagrees with the first chunk's total, ("tensor-bad-chunk") if it is
   *           empty or out of range, ("tensor-too-many-pending") when the pending map is
   *           full. A refused chunk changes nothing. */
  Status AddChunk(const TensorMsg& chunk);

  /** The offset to request next (the end of the contiguous prefix). */
  uint64_t NextMissingOffset() const { return data_.size(); }
  /** The total size, once the first chunk has told it. */
  std::optional<uint64_t> total_size() const { return total_; }
  /** True once every byte up to the total size is held. */
  bool IsComplete() const { return total_ && data_.size() == *total_; }

  /** Verifies and hands over the whole tensor encoding.
   *  Returns: OK with *out set (the assembler is then empty); NotFound("tensor-incomplete")
   *           if !IsComplete(); Corruption("tensor-hash-mismatch") if hash_fn(bytes) != id,
   *           and the assembler restarts from nothing (ask another peer).
   *  REQUIRES: out not null. */
  Status Finish(const HashFn& hash_fn, std::vector<uint8_t>* out);

 private:
  void AbsorbPending();

  Uint256 id_;
  uint64_t max_total_;
  std::optional<uint64_t> total_;
  std::vector<uint8_t> data_;                         //!< contiguous from offset 0
  std::map<uint64_t, std::vector<uint8_t>> pending_;  //!< offset -> chunk, beyond data_
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_TENSOR_TRANSFER_H
