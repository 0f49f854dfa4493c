// RenderedBlocks: the part of a verbose `getblock` reply that depends only on
// the block's bytes (its size, transactions and work records), kept as JSON
// text so that a repeated request neither reads nor decodes nor hashes the
// block again. A block's bytes never change for its hash; the header fields
// that move with the chain (confirmations, nextblockhash) are written fresh
// by every request around the kept text.
//
// Thread safety: every method may be called from any thread.

#ifndef COMPUTECOIN_NODE_RENDERED_BLOCKS_H
#define COMPUTECOIN_NODE_RENDERED_BLOCKS_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "chain/uint256.h"

namespace cc {

class RenderedBlocks {
 public:
  /// REQUIRES: max_bytes > 0. Texts longer than a quarter of it are never
  /// kept (one huge block would otherwise push out every other).
  explicit RenderedBlocks(size_t max_bytes) : max_bytes_(max_bytes) {}

  /** The text kept for (hash, verbosity), or, when none is kept, what
   *  `render` returns, then kept (evicting the least recently used texts
   *  beyond max_bytes). `render` runs without the lock held and may throw;
   *  a throw keeps nothing. Two threads missing at once both render; the
   *  second result replaces the first, equal, one.
   */
  std::shared_ptr<const std::string> Get(const Uint256& hash, int verbosity,
                                         const std::function<std::string()>& render);

  /// Bytes of text kept now (for tests).
  size_t bytes() const;

 private:
  using Key = std::pair<Uint256, int>;
  struct Entry {
    Key key;
    std::shared_ptr<const std::string> text;
  };

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> recent_;  // most recently used first
  std::map<Key, std::list<Entry>::iterator> index_;
  size_t bytes_ = 0;
};

}  // namespace cc

#endif  // COMPUTECOIN_NODE_RENDERED_BLOCKS_H
