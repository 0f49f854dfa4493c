// UtxoSet: the unspent outputs at the active chain's tip, stored in the 'c'
// table of the chain database (layout in block_store.h):
//   'c' txid:32 index:u32be -> Coin
//
// This is storage, not consensus. ConnectBlock may assume the block passed
// the consensus checks, but it still refuses (with a Status, never a crash
// or a half-applied change) a block that spends a coin the set does not
// hold or that would overwrite an existing coin: either would make
// DisconnectBlock unable to restore the set exactly.
//
// Connect and disconnect only *stage* their changes into a LevelDB write
// batch, which the caller (ChainState) extends with the undo data, the
// height index and the tip and writes atomically. Within one block,
// transactions may spend outputs of earlier transactions of the same block.
//
// Thread safety: all methods are const and safe to call concurrently;
// GetCoin sees each written batch entirely or not at all. Connect and
// disconnect read the set as it is in the database, so the caller must not
// write another batch between staging and writing (ChainState holds its
// mutex across both).

#ifndef COMPUTECOIN_CHAIN_UTXO_H
#define COMPUTECOIN_CHAIN_UTXO_H

#include <cstdint>
#include <functional>
#include <vector>

#include "chain/block.h"
#include "chain/coins.h"
#include "chain/status.h"
#include "chain/undo.h"

namespace leveldb {
class DB;
class WriteBatch;
}  // namespace leveldb

namespace cc {

class UtxoSet final : public CoinsView {
 public:
  /// A view over the 'c' table of `db`. REQUIRES: db outlives this object.
  explicit UtxoSet(leveldb::DB* db) : db_(db) {}

  UtxoSet(const UtxoSet&) = delete;
  UtxoSet& operator=(const UtxoSet&) = delete;

  /// See CoinsView.
  Status GetCoin(const OutPoint& outpoint, Coin* coin) const override;

  /// Stages into *batch the changes that connecting `block` at height
  /// block.header.height makes: every input's coin is removed, every output
  /// becomes a Coin (height = block.header.height, coinbase = the
  /// transaction has no inputs). On success fills *undo with the spent coins
  /// (one TxUndo per non-coinbase transaction, in block order).
  /// Returns InvalidArgument if an input's coin is missing or an output's
  /// outpoint is already unspent, Corruption if a stored coin does not
  /// decode; *batch is then untouched and *undo unspecified.
  Status ConnectBlock(const Block& block, BlockUndo* undo, leveldb::WriteBatch* batch) const;

  /// Stages into *batch the exact inverse of ConnectBlock(block, &undo)
  /// (UndoBlock on this set). REQUIRES: `block` is the last block connected
  /// to this set. Returns UndoBlock's errors; *batch is then untouched.
  Status DisconnectBlock(const Block& block, const BlockUndo& undo,
                         leveldb::WriteBatch* batch) const;

  /// Calls fn on every coin in canonical order (txid bytes, then index),
  /// stopping at (and returning) the first non-OK status fn returns.
  /// Returns Corruption for a record that does not decode.
  Status ForEachCoin(const std::function<Status(const OutPoint&, const Coin&)>& fn) const;

  /// The canonical encoding of the whole set: for each coin in ForEachCoin
  /// order, OutPoint then Coin. Two sets are equal iff their encodings are.
  Status SerializeCoins(std::vector<uint8_t>* out) const;

 private:
  leveldb::DB* const db_;
};

/// The one home of the undo rules: in *coins, removes `block`'s outputs and
/// restores the coins its inputs spent from `undo`, transactions in reverse
/// order (a later one may spend an earlier one's output). Disconnecting a
/// block and rewinding the set in memory (validation/rewound_coins.h) both
/// use it. REQUIRES: *coins is the set right after `block`.
/// Returns InvalidArgument if `undo` does not fit the block's shape, if an
/// output of the block is not in the set as the block created it, or if a
/// coin to be restored is already present; the view's read errors
/// otherwise. *coins is then partly edited.
Status UndoBlock(const Block& block, const BlockUndo& undo, CoinsOverlay* coins);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_UTXO_H
