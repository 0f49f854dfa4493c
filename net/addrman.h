// AddrMan: the address book of other nodes (Bitcoin Core's addrman.h, smaller).
//
// Addresses live in two tables of fixed-size buckets:
//   "new"   kNewBucketCount buckets x kBucketSize slots: heard of, never connected.
//   "tried" kTriedBucketCount buckets x kBucketSize slots: we completed a handshake.
// Which bucket an address goes into is a hash keyed by a secret 256-bit key that
// never leaves this node, so an attacker cannot aim at buckets:
//   new bucket   = H(key, source group, H(key, addr group, source group) %
//   kNewBucketsPerSourceGroup) tried bucket = H(key, addr group, H(key, addr) %
//   kTriedBucketsPerGroup) slot         = H(key, new|tried, bucket, addr) % kBucketSize
// One source group (the /16 of the peer that told us, see Service::Group) can
// therefore reach only kNewBucketsPerSourceGroup of the new buckets, and so fill
// at most that many x kBucketSize slots however many addresses it sends. An
// address sits in one new bucket at a time; a full slot is overwritten only if its
// occupant looks "terrible" (too old, or too many failed attempts).
// Good() moves an address to tried; if its tried slot is taken, the occupant goes
// back to new (Bitcoin Core also tests the occupant with a feeler first; we do not).
// Select() picks tried or new with even odds, then a random occupied slot.
//
// Persistence: Save() writes "<dir>/peers.dat" (net/persist.h format: version byte,
// body, checksum; atomic) holding the key and every entry with its table position;
// Load() refuses a corrupt or foreign file and leaves the book empty.
//
// Determinism: with `deterministic` the key is all zeros and the random choices
// come from a fixed-seed generator (tests only).
//
// Thread safety: every public method takes the internal mutex.

#ifndef COMPUTECOIN_NET_ADDRMAN_H
#define COMPUTECOIN_NET_ADDRMAN_H

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "chain/status.h"
#include "net/messages.h"
#include "net/netaddress.h"

namespace cc::net {

class AddrMan {
 public:
  /** Buckets of the new table (Bitcoin Core: 1024). */
  static constexpr size_t kNewBucketCount = 1024;
  /** Buckets of the tried table (Bitcoin Core: 256). */
  static constexpr size_t kTriedBucketCount = 256;
  /** Slots per bucket: 64, so the book holds at most 81920 addresses. */
  static constexpr size_t kBucketSize = 64;
  /** New buckets one source group can reach: limits what one peer's addr spam fills. */
  static constexpr size_t kNewBucketsPerSourceGroup = 64;
  /** Tried buckets one address group can reach. */
  static constexpr size_t kTriedBucketsPerGroup = 8;
  /** Most addresses answered to one getaddr (as one `addr` message). */
  static constexpr size_t kMaxGetAddr = kMaxAddrToSend;
  /** Entries older than this, never tried, are "terrible" and may be overwritten. */
  static constexpr int64_t kHorizonSeconds = 30 * 24 * 3600;
  /** Failed attempts (with no success) after which an entry is terrible. */
  static constexpr int kMaxFailures = 10;
  /** File format version of peers.dat. */
  static constexpr uint8_t kFileVersion = 1;

  /** `dir` holds peers.dat; nothing is read until Load(). */
  AddrMan(std::filesystem::path dir, bool deterministic = false);
  ~AddrMan();
  AddrMan(const AddrMan&) = delete;
  AddrMan& operator=(const AddrMan&) = delete;

  /** Adds addresses heard from `source`. Returns how many were new to the book.
   *  Unroutable entries (port 0, unspecified address) are skipped. `now` in seconds. */
  size_t Add(const std::vector<AddrEntry>& entries, const Service& source, int64_t now);
  /** We completed a handshake with `addr`: move it to tried. */
  void Good(const Service& addr, int64_t now);
  /** We tried to connect to `addr` (counts failures until Good). */
  void Attempt(const Service& addr, int64_t now);
  /** A random address to connect to, or nullopt if the book is empty.
   *  `new_only` picks from the new table only (feelers). */
  std::optional<AddrEntry> Select(bool new_only = false);
  /** Up to min(max_count, max_pct% of the book) random entries for a getaddr reply. */
  std::vector<AddrEntry> GetAddr(size_t max_count, size_t max_pct);

  size_t size() const;
  size_t new_count() const;
  size_t tried_count() const;

  /** Writes peers.dat atomically. Returns OK or the IOError. */
  Status Save() const;
  /** Replaces the book with peers.dat. Returns: OK; NotFound if there is no file (the
   *  book is unchanged); Corruption("corrupt-file" | "unknown-file-version" | ...) and an
   *  empty book otherwise. */
  Status Load();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cc::net

#endif  // COMPUTECOIN_NET_ADDRMAN_H
