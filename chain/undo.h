// Undo data: what a block's transactions spent, so that disconnecting the
// block can put those coins back exactly.
//
// Wire format:
//   TxUndo    = spent:vector<Coin>     one Coin per input, in input order
//   BlockUndo = txs:vector<TxUndo>     one TxUndo per non-coinbase
//                                      transaction, in block order
//
// Thread safety: plain values.

#ifndef COMPUTECOIN_CHAIN_UNDO_H
#define COMPUTECOIN_CHAIN_UNDO_H

#include <vector>

#include "chain/coins.h"
#include "chain/serialize.h"

namespace cc {

struct TxUndo {
  std::vector<Coin> spent;

  CC_SERIALIZE_METHODS(TxUndo, obj) { ar(obj.spent); }
  bool operator==(const TxUndo&) const = default;
};

struct BlockUndo {
  std::vector<TxUndo> txs;

  CC_SERIALIZE_METHODS(BlockUndo, obj) { ar(obj.txs); }
  bool operator==(const BlockUndo&) const = default;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_UNDO_H
