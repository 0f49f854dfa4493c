// TensorStore: a content-addressed, on-disk store of EncodedTensors.
//
// Every tensor a node computes, receives or must serve (activations,
// gradients, weights, optimizer state, token batches) is kept under its
// committed id, EncodedTensor::Hash().
//
// Layout under the store's directory:
//   LOCK                       held with flock() while the store is open
//   ab/cd/<64 hex digits>      one tensor: the hex of its hash, fanned out by
//                              the first two bytes so no directory grows huge
//   ab/cd/<hex>.tmp.<n>        a write in progress; removed by Open()
// File format:
//   magic:"CCT1" step:u64 encoding   (encoding = Serialize(EncodedTensor))
// `step` is the retention tag: the latest training step that produced or
// re-stored this tensor. It is not part of the hash.
//
// Crash safety: a file is written under a temporary name, fsync()ed, renamed
// over its final name and the directory fsync()ed, so a crash never leaves a
// partial tensor under its hash name. (With Options::sync off, or a Put
// asked not to sync, the fsyncs are skipped: a crash may then leave a
// damaged file, which Get detects; Sync makes such a tensor durable later.) Get
// re-hashes what it reads, so damage from any cause is reported as
// Corruption, never returned as data.
//
// Retention (issue: "keep the current state, the last N steps, and anything a
// not-yet-final block still references"): the store knows each tensor's step;
// the caller, which knows the chain, names the rest. Prune(oldest_step_to_keep,
// keep_always) deletes every tensor whose step is below oldest_step_to_keep
// unless its hash is in keep_always (the current state's hashes and those
// that records in non-final blocks reference).
//
// Thread safety: all methods may be called concurrently. mu_ guards index_
// and every rename or unlink of a tensor file, so the index always matches
// the directory; Put writes its temporary file and Get reads outside mu_.
// One process at a time: Open fails while another process holds LOCK.

#ifndef COMPUTECOIN_COMPUTE_TENSOR_STORE_H
#define COMPUTECOIN_COMPUTE_TENSOR_STORE_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "chain/status.h"
#include "chain/uint256.h"
#include "compute/tensor.h"

namespace cc::compute {

struct TensorStoreOptions {
  /// fsync each tensor file and its directory before Put returns. Off trades
  /// durability of the latest writes for speed (tests, scratch stores).
  bool sync = true;
};

/// What one Prune() removed and left.
struct PruneStats {
  uint64_t removed = 0;      //!< tensors deleted
  uint64_t bytes_freed = 0;  //!< their file sizes, in bytes
  uint64_t kept = 0;         //!< tensors still stored
};

class TensorStore {
 public:
  TensorStore(const TensorStore&) = delete;
  TensorStore& operator=(const TensorStore&) = delete;
  ~TensorStore();

  /// Opens (creating if needed) the store in directory `dir`, indexing the
  /// tensors already there and removing interrupted writes.
  /// Returns OK with *store set; IOError if the directory cannot be created
  /// or read, or another process has the store open. The caller owns *store.
  static Status Open(const std::string& dir, const TensorStoreOptions& options,
                     std::unique_ptr<TensorStore>* store);
  static Status Open(const std::string& dir, std::unique_ptr<TensorStore>* store) {
    return Open(dir, TensorStoreOptions{}, store);
  }

  /// Stores `t`, tagged with `step`, and sets *hash (if not null) to t.Hash().
  /// Idempotent: storing a tensor again only raises its step to `step` if
  /// that is higher. With `sync` false the write is not fsynced even when
  /// Options::sync is on: for a tensor that can be fetched again or
  /// recomputed, a crash may lose or damage it (Get detects that), and Sync
  /// makes it durable when something comes to depend on it. Returns
  /// InvalidArgument (with the reason from CheckEncoding) if `t` is
  /// malformed, IOError if the write fails; the store is then unchanged.
  Status Put(const EncodedTensor& t, uint64_t step, Uint256* hash, bool sync = true);

  /// As Put, for a tensor whose id the caller has just computed or matched
  /// (a recomputed output compared with its record's hash), so that it is
  /// not hashed twice. REQUIRES: hash == t.Hash(). A wrong hash is caught
  /// on reading: Get reports Corruption and deletes the file.
  Status PutHashed(const EncodedTensor& t, const Uint256& hash, uint64_t step, bool sync = true);

  /// Makes the stored tensor `hash` durable (fsyncs its file and directory;
  /// nothing with Options::sync off). Returns NotFound if it is not stored,
  /// IOError if the fsync fails.
  Status Sync(const Uint256& hash);

  /// Reads the tensor with id `hash` into *t.
  /// Returns NotFound if it is not stored; Corruption if its file is damaged
  /// (the file is then deleted, so that a good copy can be Put again);
  /// IOError if it cannot be read. *t is unspecified unless OK.
  Status Get(const Uint256& hash, EncodedTensor* t);

  [[nodiscard]] bool Has(const Uint256& hash) const;

  /// The step `hash` is tagged with. Returns NotFound if it is not stored.
  Status GetStep(const Uint256& hash, uint64_t* step) const;

  /// Deletes every tensor whose step is < oldest_step_to_keep and whose hash
  /// is not in keep_always. Returns OK with *stats (if not null) filled in,
  /// or IOError if a file could not be deleted (the others still are).
  Status Prune(uint64_t oldest_step_to_keep, const std::set<Uint256>& keep_always,
               PruneStats* stats);

  /// Number of tensors stored and the bytes their files take.
  uint64_t Count() const;
  uint64_t Bytes() const;

 private:
  struct Entry {
    uint64_t step = 0;
    uint64_t bytes = 0;    //!< file size
    bool damaged = false;  //!< header unreadable at Open; the next Put replaces it
  };

  TensorStore(std::string dir, const TensorStoreOptions& options, int lock_fd);

  Status Scan();
  std::string PathOf(const Uint256& hash) const;
  // REQUIRES: mu_ held.
  Status RemoveLocked(const Uint256& hash);

  const std::string dir_;
  const TensorStoreOptions options_;
  const int lock_fd_;
  std::atomic<uint64_t> next_temp_{0};

  mutable std::mutex mu_;
  std::unordered_map<Uint256, Entry, Uint256Hasher> index_;  // GUARDED_BY(mu_)
  uint64_t total_bytes_ = 0;                                 // GUARDED_BY(mu_)
};

}  // namespace cc::compute

#endif  // COMPUTECOIN_COMPUTE_TENSOR_STORE_H
