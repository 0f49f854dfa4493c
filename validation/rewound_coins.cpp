#include "validation/rewound_coins.h"

#include <string>

#include "chain/undo.h"

namespace cc {

Status RewoundCoins::GetCoin(const OutPoint& outpoint, Coin* coin) const {
  auto it = changed_.find(outpoint);
  if (it == changed_.end()) return chain_.GetCoin(outpoint, coin);
  if (!it->second) return Status::NotFound("spent or not yet created");
  *coin = *it->second;
  return Status::OK();
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
    size_t spending_txs = 0;
    for (const Transaction& tx : block.txs) spending_txs += tx.IsCoinbase() ? 0 : 1;
    if (undo.txs.size() != spending_txs)
      return Status::Corruption(where + ": undo data does not fit the block");
    // Reverse order, as a disconnect: a later transaction may spend an
    // earlier one's output.
    size_t next_undo = undo.txs.size();
    for (auto tx = block.txs.rbegin(); tx != block.txs.rend(); ++tx) {
      const Uint256 txid = tx->Txid();
      for (uint32_t i = 0; i < tx->outputs.size(); ++i) {
        const OutPoint op{txid, i};
        Coin coin;
        s = GetCoin(op, &coin);
        if (s.IsNotFound() || (s.ok() && coin != Coin{tx->outputs[i], h, tx->IsCoinbase()}))
          return Status::Corruption(where + ": an output is not in the set as it created it");
        if (!s.ok()) return s;
        changed_[op] = std::nullopt;
      }
      if (tx->IsCoinbase()) continue;
      const TxUndo& tx_undo = undo.txs[--next_undo];
      if (tx_undo.spent.size() != tx->inputs.size())
        return Status::Corruption(where + ": undo data does not fit a transaction");
      for (size_t j = tx->inputs.size(); j-- > 0;) {
        Coin present;
        s = GetCoin(tx->inputs[j].prevout, &present);
        if (s.ok()) return Status::Corruption(where + ": undo would restore an unspent coin");
        if (!s.IsNotFound()) return s;
        changed_[tx->inputs[j].prevout] = tx_undo.spent[j];
      }
    }
  }
  return Status::OK();
}

void RewoundCoins::Apply(const Block& block) {
  for (const Transaction& tx : block.txs) {
    for (const TxIn& in : tx.inputs) changed_[in.prevout] = std::nullopt;
    const Uint256 txid = tx.Txid();
    for (uint32_t i = 0; i < tx.outputs.size(); ++i)
      changed_[OutPoint{txid, i}] = Coin{tx.outputs[i], block.header.height, tx.IsCoinbase()};
  }
}

}  // namespace cc
