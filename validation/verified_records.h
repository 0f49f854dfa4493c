// VerifiedRecords: the hashes of work records this node has re-executed and
// found correct — Bitcoin Core's script cache for training work. The work
// pool adds a record when it re-executes it (or computed it itself); block
// validation then skips re-executing it (BlockContext::verified), so a
// record costs one verification per node, not one at relay and one in its
// block. A record's hash commits to its unit, every input and output hash
// and its loss, so a cached verdict holds wherever the same record appears.
//
// Bounded: past `capacity` entries the oldest is forgotten (it is then
// merely re-executed again).
//
// Thread safety: every method may be called from any thread; its lock is a
// leaf (no call out while held).

#ifndef COMPUTECOIN_VALIDATION_VERIFIED_RECORDS_H
#define COMPUTECOIN_VALIDATION_VERIFIED_RECORDS_H

#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "chain/uint256.h"

namespace cc {

class VerifiedRecords {
 public:
  /// REQUIRES: capacity > 0.
  explicit VerifiedRecords(size_t capacity = size_t{1} << 17) : capacity_(capacity) {}

  /// Remembers `record_hash` as re-executed and correct.
  void Add(const Uint256& record_hash);
  /// Whether `record_hash` was added and not yet forgotten.
  [[nodiscard]] bool Contains(const Uint256& record_hash) const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_set<Uint256, Uint256Hasher> hashes_;  // GUARDED_BY(mu_)
  std::deque<Uint256> order_;                          // GUARDED_BY(mu_): oldest first
};

}  // namespace cc

#endif  // COMPUTECOIN_VALIDATION_VERIFIED_RECORDS_H
