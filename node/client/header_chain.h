// HeaderChain: computecoin-light's copy of a network's active header chain,
// kept in one file, "<network dir>/light/headers.dat".
//
// File format: the canonical encodings of the headers of heights 0, 1, ...,
// n-1, back to back. A header's encoding has a fixed size (kRecordSize =
// kBlockHeaderSize, 280 bytes), so height h is at offset h * kRecordSize.
//
// Invariants, checked on every Append and again by Open over the whole
// file: header 0 is the network's genesis header; each later header's prev
// is the hash of the one before it and its height is one more. Open cuts off
// a trailing partial record (an append interrupted by a crash: appends are
// fsynced, so only the last one can be torn); any other mismatch is
// Corruption.
//
// This is linkage only: the other checks a header gets before it is
// appended (its signature, time, claimed work; over P2P) are the light
// client's (node/client/light_client.h).
//
// Thread safety: not thread-safe; one HeaderChain per file per process.

#ifndef COMPUTECOIN_NODE_CLIENT_HEADER_CHAIN_H
#define COMPUTECOIN_NODE_CLIENT_HEADER_CHAIN_H

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <vector>

#include "chain/block.h"
#include "chain/status.h"
#include "chain/uint256.h"

namespace cc {

class HeaderChain {
 public:
  /// Size of one header's encoding.
  static const size_t kRecordSize;

  /// Opens (creating if missing, with its directory) the file at `path` for
  /// a network whose genesis header is `genesis`. Returns IOError if the
  /// file cannot be opened, Corruption (naming the height) if its headers
  /// break an invariant.
  static Status Open(const std::filesystem::path& path, const BlockHeader& genesis,
                     std::unique_ptr<HeaderChain>* out);

  ~HeaderChain();
  HeaderChain(const HeaderChain&) = delete;
  HeaderChain& operator=(const HeaderChain&) = delete;

  /// Appends `headers` (in height order) after the tip and fsyncs.
  /// Returns InvalidArgument naming the first header that does not link
  /// ("header 5: prev is not the hash of header 4", "header 0 is not the
  /// regtest genesis"), IOError if the write fails; nothing is kept then.
  Status Append(const std::vector<BlockHeader>& headers);

  /// Keeps only the first `count` headers (to follow a reorganisation).
  /// Returns IOError if the file cannot be shortened.
  /// REQUIRES: count <= size().
  Status Truncate(size_t count);

  /// Number of headers: the tip's height + 1, or 0 when empty.
  size_t size() const { return headers_.size(); }
  /// REQUIRES: height < size().
  const BlockHeader& at(size_t height) const { return headers_[height]; }
  /// REQUIRES: height < size().
  const Uint256& HashAt(size_t height) const { return hashes_[height]; }
  /// The header with hash `hash`, or nullptr. Valid until the next Truncate.
  const BlockHeader* Find(const Uint256& hash) const;

 private:
  HeaderChain(int fd, Uint256 genesis_hash) : fd_(fd), genesis_hash_(genesis_hash) {}

  /// Why `header` cannot follow the current tip, or "" if it can.
  std::string LinkError(const BlockHeader& header, const Uint256& hash) const;
  void Push(const BlockHeader& header, const Uint256& hash);

  int fd_;
  Uint256 genesis_hash_;
  std::vector<BlockHeader> headers_;
  std::vector<Uint256> hashes_;
  std::unordered_map<Uint256, size_t, Uint256Hasher> by_hash_;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CLIENT_HEADER_CHAIN_H
