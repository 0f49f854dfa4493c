// TxOrphanage: transactions whose inputs are unknown, kept until a parent
// arrives (Bitcoin Core's node/txorphanage.h).
//
// A transaction relayed before its parent (a child sent first, or a parent
// still in flight from another peer) fails mempool entry with
// kMissingInputs. Dropping it would lose it for good: the announcing peer
// will not announce it again. So the message layer keeps it here, asks the
// announcing peer for the missing parents, and offers it to the mempool
// again when a transaction it spends enters the mempool or a block.
//
// Why every bound: orphans cost nothing to make (no input needs to exist,
// so no fee is ever paid), so a peer could fill memory with them. Hence
//   - a cap on each orphan's size (kMaxOrphanTxSize: larger ones are not
//     kept at all; their sender can send the parent first),
//   - a cap on the total count and bytes (OrphanLimits): when over, random
//     orphans are evicted, as Bitcoin Core's LimitOrphans did until 2025,
//     so an attacker cannot predict which honest orphans to push out,
//   - a cap on each peer's bytes: when one peer is over it, that peer's own
//     oldest orphans go first, so one peer cannot take the whole pool,
//   - an expiry (kOrphanExpiry): a parent that has not come by then is not
//     coming from this peer,
//   - a peer's orphans are dropped when it disconnects (nobody would ask
//     for their parents any more).
// Nothing here is validated: an orphan is judged by the mempool when it is
// offered again, and its sender is punished then if it is invalid.
//
// Thread safety: none; the message layer calls it under its own lock.

#ifndef COMPUTECOIN_NET_TXORPHANAGE_H
#define COMPUTECOIN_NET_TXORPHANAGE_H

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "chain/block.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "net/peer.h"

namespace cc::net {

using namespace std::chrono_literals;

/** Largest orphan kept: Bitcoin Core's MAX_STANDARD_TX_WEIGHT in bytes (100 kB). A larger
 *  transaction must wait for its parents elsewhere; a pool of 100 such is 10 MB at most. */
inline constexpr size_t kMaxOrphanTxSize = 100'000;
/** Orphans kept over all peers: Bitcoin Core's DEFAULT_MAX_ORPHAN_TRANSACTIONS. */
inline constexpr size_t kDefaultMaxOrphans = 100;
/** Bytes of orphans kept over all peers: the count cap times an average transaction's
 *  generous size, so honest orphans are evicted by count, not bytes. */
inline constexpr size_t kDefaultMaxOrphanBytes = 4'000'000;
/** Bytes of orphans one peer may hold: Bitcoin Core's 404'000 weight reserved per peer,
 *  in bytes, rounded: four of the largest orphans. */
inline constexpr size_t kDefaultMaxOrphanBytesPerPeer = 400'000;
/** An orphan whose parent has not arrived in this time is dropped: Bitcoin Core's
 *  ORPHAN_TX_EXPIRE_TIME. */
inline constexpr std::chrono::seconds kOrphanExpiry = 20min;

struct OrphanLimits {
  size_t max_count = kDefaultMaxOrphans;
  size_t max_bytes = kDefaultMaxOrphanBytes;
  size_t max_bytes_per_peer = kDefaultMaxOrphanBytesPerPeer;
};

class TxOrphanage {
 public:
  using Clock = std::chrono::steady_clock;

  /** rng_seed: the eviction choices' seed (tests fix it; the node draws it). */
  explicit TxOrphanage(OrphanLimits limits = {}, uint64_t rng_seed = std::random_device{}());

  /** Keeps `tx` (of serialized size `size`), announced by `from`, until `now` +
   *  kOrphanExpiry; then evicts down to the limits (file comment), which may evict
   *  `tx` itself.
   *  Returns: true if tx is kept afterwards; false if it was already here, is larger
   *           than kMaxOrphanTxSize, or was evicted at once. */
  bool Add(const Transaction& tx, size_t size, PeerId from, Clock::time_point now);

  [[nodiscard]] bool Have(const Uint256& txid) const;
  /** Copies the orphan `txid` into *tx and its announcer into *from; false if absent. */
  [[nodiscard]] bool Get(const Uint256& txid, Transaction* tx, PeerId* from) const;

  /** The orphans that spend an output of `parent_txid`, oldest first: to be offered
   *  to the mempool again now that the parent is there. They stay here until the
   *  caller erases them. */
  std::vector<Uint256> ChildrenOf(const Uint256& parent_txid) const;

  /** Removes one orphan; false if absent. */
  bool Erase(const Uint256& txid);
  /** Removes every orphan `peer` announced. Returns how many. */
  size_t EraseForPeer(PeerId peer);
  /** Removes the orphans `block` confirmed or made invalid (spending an outpoint one
   *  of its transactions spends). Returns how many. */
  size_t EraseForBlock(const Block& block);
  /** Removes the orphans whose time is up at `now`. Returns how many. */
  size_t Expire(Clock::time_point now);

  size_t size() const { return orphans_.size(); }
  /** Sum of the orphans' sizes. */
  size_t bytes() const { return bytes_; }
  /** Sum of the sizes of `peer`'s orphans. */
  size_t PeerBytes(PeerId peer) const;

 private:
  struct Orphan {
    Transaction tx;
    size_t size = 0;
    PeerId from = 0;
    Clock::time_point expires;
    uint64_t sequence = 0;  //!< arrival order: a peer's oldest goes first
  };

  /** Evicts the peer's oldest orphans while it is over its byte cap, then random
   *  orphans while the pool is over its count or byte cap. */
  void Limit(PeerId peer);

  const OrphanLimits limits_;
  std::mt19937_64 rng_;
  std::unordered_map<Uint256, Orphan, Uint256Hasher> orphans_;
  /** Which orphans spend each outpoint: finds children by parent, conflicts by block. */
  std::map<OutPoint, std::set<Uint256>> by_prevout_;
  /** Each peer's orphans by arrival. */
  std::map<PeerId, std::map<uint64_t, Uint256>> by_peer_;
  /** Every orphan txid, for a uniform random pick (swap-and-pop on removal). */
  std::vector<Uint256> list_;
  std::unordered_map<Uint256, size_t, Uint256Hasher> list_pos_;
  size_t bytes_ = 0;
  uint64_t next_sequence_ = 0;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_TXORPHANAGE_H
