// ChainState: the node's persistent chain — block tree, active chain, UTXO
// set — in one LevelDB database ("<datadir>/chainstate"; layout in
// block_store.h).
//
// Crash safety: every operation writes one LevelDB WriteBatch. ConnectTip's
// batch holds the UTXO changes, the undo data, the index entry, the height
// entry and the new tip; DisconnectTip's holds their inverse. LevelDB applies
// a batch atomically (one log record, checksummed; a torn record is dropped
// on recovery), so after a crash the database is at the old or the new tip,
// never in between. Open() checks the tip against the height index.
//
// Consensus is not checked here. The caller (consensus/) validates a block
// before ConnectTip and may record a rejection with MarkFailed. A reorg is:
// FindFork(new_tip) -> DisconnectTip until the tip is the fork point ->
// ConnectTip each block of the other branch (ReadBlock gives them back if
// they were stored with StoreBlock), re-adding the disconnected blocks'
// transactions to the mempool (mempool.h).
//
// Thread safety: all methods may be called from any thread. mu_ serialises
// the writing methods and guards the cached tip; reads go to LevelDB
// without it and see each batch entirely or not at all. A caller that needs
// several reads to agree with each other (e.g. walking the chain while
// another thread reorganises it) must hold its own lock around both.

#ifndef COMPUTECOIN_CHAIN_CHAIN_STATE_H
#define COMPUTECOIN_CHAIN_CHAIN_STATE_H

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "chain/block.h"
#include "chain/block_store.h"
#include "chain/coins.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/undo.h"
#include "chain/utxo.h"

namespace cc {

class ChainState final : public CoinsView {
 public:
  /// Opens the chain database in directory `path` (the node passes
  /// "<datadir>/chainstate") and checks that its tip, height index and undo
  /// data agree. On success stores the chain state in *out (owned by the
  /// caller). Returns BlockStore::Open's errors, or Corruption if the tables
  /// disagree.
  static Status Open(const std::string& path, const BlockStoreOptions& options,
                     std::unique_ptr<ChainState>* out);

  ChainState(const ChainState&) = delete;
  ChainState& operator=(const ChainState&) = delete;

  // ---- Writes. Each is one atomic batch; on error nothing was written.

  /// Adds `header` to the block index (without data) if it is not there.
  /// Returns InvalidArgument if its parent is unknown, or its height is not
  /// its parent's plus one (a header with a zero `prev` must have height 0).
  Status StoreHeader(const BlockHeader& header);

  /// Stores `block` (index entry and data) without connecting it: a block
  /// of a side branch, or one received before its turn. Idempotent.
  /// Returns InvalidArgument as StoreHeader does.
  Status StoreBlock(const Block& block);

  /// Makes `block` the new tip: stores it if needed, spends its inputs, adds
  /// its outputs, writes its undo data, height entry and the tip.
  /// REQUIRES: consensus has validated `block` against the current tip.
  /// Returns InvalidArgument if the block does not extend the tip (on an
  /// empty chain: is not a height-0 block with a zero `prev`), is marked
  /// failed, or spends coins the UTXO set does not hold.
  Status ConnectTip(const Block& block);

  /// Undoes the tip block: restores the coins it spent, removes its
  /// outputs, its undo data and height entry, and makes its parent the tip
  /// (the chain becomes empty when the genesis block is disconnected). The
  /// block stays stored. If `block` is not null, the disconnected block is
  /// stored in *block (e.g. to return its transactions to the mempool).
  /// Returns NotFound if the chain is empty, Corruption if the tip's data or
  /// undo data are missing or do not fit the UTXO set.
  Status DisconnectTip(Block* block);

  /// Records that consensus rejected block `hash` so it is never connected.
  /// Returns NotFound if the block is unknown, InvalidArgument if it is on
  /// the main chain (disconnect it first).
  Status MarkFailed(const Uint256& hash);
  /// Removes MarkFailed's mark (reconsiderblock); OK if there was none.
  /// NotFound for an unknown block.
  Status ClearFailed(const Uint256& hash);

  // ---- Reads. NotFound if absent; Corruption if stored bytes are bad.

  /// The active tip; NotFound when the chain is empty.
  Status GetTip(Uint256* hash, uint32_t* height) const;
  /// The main-chain block at `height`; NotFound above the tip.
  Status GetBlockHashAtHeight(uint32_t height, Uint256* hash) const;
  Status ReadBlock(const Uint256& hash, Block* block) const;
  Status ReadHeader(const Uint256& hash, BlockHeader* header) const;
  Status ReadIndex(const Uint256& hash, BlockIndexEntry* entry) const;
  /// Present exactly for main-chain blocks.
  Status ReadUndo(const Uint256& hash, BlockUndo* undo) const;
  /// True if the block's data is stored (false also on read errors).
  [[nodiscard]] bool HaveBlock(const Uint256& hash) const;

  /// The last block that `hash` and the active chain have in common (the
  /// block itself if it is on the main chain). Returns NotFound if `hash`
  /// or one of its ancestors is not indexed, or if its branch shares no
  /// block with the active chain.
  Status FindFork(const Uint256& hash, Uint256* fork) const;

  /// See CoinsView: the UTXO set at the tip.
  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override;

  const UtxoSet& utxo() const { return utxo_; }
  const BlockStore& store() const { return *store_; }

 private:
  explicit ChainState(std::unique_ptr<BlockStore> store);

  /// The existing index entry for `header`, or a new one (status 0, the
  /// next sequence number; *is_new set) after checking its parent.
  Status LookupOrCreateEntry(const BlockHeader& header, BlockIndexEntry* entry,
                             bool* is_new) const;  // REQUIRES: mu_ held.

  const std::unique_ptr<BlockStore> store_;
  const UtxoSet utxo_;

  mutable std::mutex mu_;
  bool has_tip_ = false;        // GUARDED_BY(mu_)
  Uint256 tip_hash_;            // GUARDED_BY(mu_)
  uint32_t tip_height_ = 0;     // GUARDED_BY(mu_)
  uint64_t next_sequence_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_CHAIN_STATE_H
