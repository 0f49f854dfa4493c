#include "validation/rewound_coins.h"

#include <string>

#include "chain/undo.h"
#include "chain/utxo.h"

namespace cc {

Status RewoundCoins::GetCoin(const OutPoint& outpoint, Coin* coin) const {
  return coins_.GetCoin(outpoint, coin);
}

Status RewoundCoins::Rewind(uint32_t height) {
  Uint256 hash;
  uint32_t tip_height = 0;
  Status s = chain_.GetTip(&hash, &tip_height);
  if (!s.ok()) return s;
  for (uint32_t h = tip_height; h > height; --h) {
    Block block;
    BlockUndo undo;
    s = chain_.GetBlockHashAtHeight(h, &hash);
    if (s.ok()) s = chain_.ReadBlock(hash, &block);
    if (s.ok()) s = chain_.ReadUndo(hash, &undo);
    const std::string where = "block " + hash.ToHex() + " at height " + std::to_string(h);
    if (s.IsNotFound()) return Status::Corruption(where + ": " + s.message());
    if (!s.ok()) return s;
    s = UndoBlock(block, undo, &coins_);
    if (!s.ok()) return Status::Corruption(where + ": " + s.message());
  }
  return Status::OK();
}

void RewoundCoins::Apply(const Block& block) {
  for (const Transaction& tx : block.txs) {
    for (const TxIn& in : tx.inputs) coins_.Remove(in.prevout);
    const Uint256 txid = tx.Txid();
    for (uint32_t i = 0; i < tx.outputs.size(); ++i)
      if (EntersUtxoSet(tx.outputs[i]))
        coins_.Add(OutPoint{txid, i}, Coin{tx.outputs[i], block.header.height, tx.IsCoinbase()});
  }
}

}  // namespace cc
