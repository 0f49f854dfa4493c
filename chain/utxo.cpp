#include "chain/utxo.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/write_batch.h>

#include "chain/store_format.h"

namespace cc {
namespace {

std::string Describe(const OutPoint& op) {
  return op.txid.ToHex() + ":" + std::to_string(op.index);
}

leveldb::ReadOptions VerifyingReads() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

// OK if `op` is absent from `view`, InvalidArgument naming `what` if present,
// or the read error.
Status CheckAbsent(const CoinsOverlay& view, const OutPoint& op, const char* what) {
  Coin ignored;
  Status s = view.GetCoin(op, &ignored);
  if (s.ok()) return Status::InvalidArgument(std::string(what) + " " + Describe(op));
  return s.IsNotFound() ? Status::OK() : s;
}

// Writes the overlay's changes into `batch`: nothing reaches the database
// before the caller commits it.
void StageInto(const CoinsOverlay& view, leveldb::WriteBatch* batch) {
  for (const auto& [op, coin] : view.changes()) {
    const std::string key = store::CoinKey(op);
    if (coin) {
      const std::vector<uint8_t> bytes = Serialize(*coin);
      batch->Put(key, store::ToSlice(ByteSpan(bytes)));
    } else {
      batch->Delete(key);
    }
  }
}

}  // namespace

Status UtxoSet::GetCoin(const OutPoint& outpoint, Coin* coin) const {
  std::string value;
  const leveldb::Status s = db_->Get(VerifyingReads(), store::CoinKey(outpoint), &value);
  if (s.IsNotFound())
    return Status::NotFound("coin " + Describe(outpoint) + " not in the UTXO set");
  if (!s.ok()) return store::FromLevelDb(s, "coin " + Describe(outpoint));
  Status d = Deserialize(store::ToBytes(value), coin);
  if (!d.ok()) return Status::Corruption("coin " + Describe(outpoint) + ": " + d.message());
  return d;
}

Status UtxoSet::ConnectBlock(const Block& block, BlockUndo* undo,
                             leveldb::WriteBatch* batch) const {
  const uint32_t height = block.header.height;
  CoinsOverlay view(*this);
  BlockUndo result;
  for (const Transaction& tx : block.txs) {
    if (!tx.IsCoinbase()) {
      TxUndo& tx_undo = result.txs.emplace_back();
      tx_undo.spent.reserve(tx.inputs.size());
      for (const TxIn& in : tx.inputs) {
        Coin coin;
        Status s = view.GetCoin(in.prevout, &coin);
        if (s.IsNotFound()) {
          return Status::InvalidArgument("block spends missing coin " + Describe(in.prevout));
        }
        if (!s.ok()) return s;
        tx_undo.spent.push_back(std::move(coin));
        view.Remove(in.prevout);
      }
    }
    const OutPoint first{tx.Txid(), 0};
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      if (!EntersUtxoSet(tx.outputs[i])) continue;
      const OutPoint op{first.txid, i};
      Status s = CheckAbsent(view, op, "block would overwrite unspent coin");
      if (!s.ok()) return s;
      view.Add(op, Coin{tx.outputs[i], height, tx.IsCoinbase()});
    }
  }
  StageInto(view, batch);
  *undo = std::move(result);
  return Status::OK();
}

Status UndoBlock(const Block& block, const BlockUndo& undo, CoinsOverlay* coins) {
  size_t spending_txs = 0;
  for (const Transaction& tx : block.txs) spending_txs += tx.IsCoinbase() ? 0 : 1;
  if (undo.txs.size() != spending_txs) {
    return Status::InvalidArgument("undo data has " + std::to_string(undo.txs.size()) +
                                   " entries for " + std::to_string(spending_txs) +
                                   " non-coinbase transactions");
  }
  const uint32_t height = block.header.height;
  size_t next_undo = undo.txs.size();
  // Reverse order: a later transaction may spend an earlier one's output, so
  // it must be undone first.
  for (auto tx = block.txs.rbegin(); tx != block.txs.rend(); ++tx) {
    const Uint256 txid = tx->Txid();
    for (uint32_t i = 0; i < tx->outputs.size(); ++i) {
      if (!EntersUtxoSet(tx->outputs[i])) continue;
      const OutPoint op{txid, i};
      Coin coin;
      Status s = coins->GetCoin(op, &coin);
      if (s.IsNotFound())
        return Status::InvalidArgument("block output " + Describe(op) + " not in the set");
      if (!s.ok()) return s;
      if (coin != Coin{tx->outputs[i], height, tx->IsCoinbase()}) {
        return Status::InvalidArgument("block output " + Describe(op) +
                                       " differs from the stored coin");
      }
      coins->Remove(op);
    }
    if (tx->IsCoinbase()) continue;
    const TxUndo& tx_undo = undo.txs[--next_undo];
    if (tx_undo.spent.size() != tx->inputs.size()) {
      return Status::InvalidArgument("undo data has " + std::to_string(tx_undo.spent.size()) +
                                     " coins for a transaction with " +
                                     std::to_string(tx->inputs.size()) + " inputs");
    }
    for (size_t j = tx->inputs.size(); j-- > 0;) {
      const OutPoint& op = tx->inputs[j].prevout;
      Status s = CheckAbsent(*coins, op, "undo would restore already unspent coin");
      if (!s.ok()) return s;
      coins->Add(op, tx_undo.spent[j]);
    }
  }
  return Status::OK();
}

Status UtxoSet::DisconnectBlock(const Block& block, const BlockUndo& undo,
                                leveldb::WriteBatch* batch) const {
  CoinsOverlay view(*this);
  Status s = UndoBlock(block, undo, &view);
  if (!s.ok()) return s;
  StageInto(view, batch);
  return Status::OK();
}

Status UtxoSet::ForEachCoin(const std::function<Status(const OutPoint&, const Coin&)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifyingReads()));
  const std::string prefix(1, store::kCoinPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    OutPoint op;
    if (!store::DecodeCoinKey(std::string_view(it->key().data(), it->key().size()), &op)) {
      return Status::Corruption("malformed UTXO key");
    }
    Coin coin;
    Status s = Deserialize(store::ToBytes(it->value()), &coin);
    if (!s.ok()) return Status::Corruption("coin " + Describe(op) + ": " + s.message());
    s = fn(op, coin);
    if (!s.ok()) return s;
  }
  return store::FromLevelDb(it->status(), "UTXO scan");
}

Status UtxoSet::SerializeCoins(std::vector<uint8_t>* out) const {
  out->clear();
  Writer w(out);
  return ForEachCoin([&w](const OutPoint& op, const Coin& coin) {
    w(op, coin);
    return Status::OK();
  });
}

}  // namespace cc
