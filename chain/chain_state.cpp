#include "chain/chain_state.h"

#include <utility>

#include <leveldb/write_batch.h>

namespace cc {

ChainState::ChainState(std::unique_ptr<BlockStore> store)
    : store_(std::move(store)), utxo_(store_->db()) {}

Status ChainState::Open(const std::string& path, const BlockStoreOptions& options,
                        std::unique_ptr<ChainState>* out) {
  std::unique_ptr<BlockStore> store;
  Status s = BlockStore::Open(path, options, &store);
  if (!s.ok()) return s;
  std::unique_ptr<ChainState> cs(new ChainState(std::move(store)));
  const BlockStore& bs = *cs->store_;

  s = bs.ReadNextSequence(&cs->next_sequence_);
  if (!s.ok()) return s;

  uint32_t highest = 0;
  const Status highest_status = bs.ReadHighestHeight(&highest);
  if (!highest_status.ok() && !highest_status.IsNotFound()) return highest_status;

  Uint256 tip;
  s = bs.ReadTip(&tip);
  if (s.IsNotFound()) {
    if (highest_status.ok()) return Status::Corruption("height index present but no tip");
    *out = std::move(cs);
    return Status::OK();
  }
  if (!s.ok()) return s;

  BlockIndexEntry entry;
  s = bs.ReadIndex(tip, &entry);
  if (s.IsNotFound()) return Status::Corruption("tip " + tip.ToHex() + " is not indexed");
  if (!s.ok()) return s;
  Uint256 at_height;
  s = bs.ReadHashAtHeight(entry.height(), &at_height);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.IsNotFound() || at_height != tip) {
    return Status::Corruption("height index disagrees with tip " + tip.ToHex());
  }
  if (!highest_status.ok() || highest != entry.height()) {
    return Status::Corruption("height index extends past the tip");
  }
  if (!entry.Has(kBlockHaveData) || !entry.Has(kBlockHaveUndo)) {
    return Status::Corruption("tip " + tip.ToHex() + " lacks block or undo data");
  }
  cs->has_tip_ = true;
  cs->tip_hash_ = tip;
  cs->tip_height_ = entry.height();
  *out = std::move(cs);
  return Status::OK();
}

Status ChainState::LookupOrCreateEntry(const BlockHeader& header, BlockIndexEntry* entry,
                                       bool* is_new) const {
  const Uint256 hash = header.Hash();
  Status s = store_->ReadIndex(hash, entry);
  if (s.ok() || !s.IsNotFound()) {
    *is_new = false;
    return s;
  }
  if (header.prev.IsZero()) {
    if (header.height != 0) {
      return Status::InvalidArgument("block " + hash.ToHex() + " has no parent but height " +
                                     std::to_string(header.height));
    }
  } else {
    BlockIndexEntry parent;
    s = store_->ReadIndex(header.prev, &parent);
    if (s.IsNotFound()) {
      return Status::InvalidArgument("parent " + header.prev.ToHex() + " of block " + hash.ToHex() +
                                     " is unknown");
    }
    if (!s.ok()) return s;
    if (header.height != static_cast<uint64_t>(parent.height()) + 1) {
      return Status::InvalidArgument("block " + hash.ToHex() + " has height " +
                                     std::to_string(header.height) + ", parent has " +
                                     std::to_string(parent.height()));
    }
  }
  *entry = BlockIndexEntry{header, 0, 0, 0, next_sequence_};
  *is_new = true;
  return Status::OK();
}

Status ChainState::StoreHeader(const BlockHeader& header) {
  std::lock_guard<std::mutex> lock(mu_);
  BlockIndexEntry entry;
  bool is_new = false;
  Status s = LookupOrCreateEntry(header, &entry, &is_new);
  if (!s.ok() || !is_new) return s;
  leveldb::WriteBatch batch;
  BlockStore::PutIndex(entry, &batch);
  BlockStore::PutNextSequence(next_sequence_ + 1, &batch);
  s = store_->Write(&batch);
  if (s.ok()) ++next_sequence_;
  return s;
}

Status ChainState::StoreBlock(const Block& block) {
  std::lock_guard<std::mutex> lock(mu_);
  BlockIndexEntry entry;
  bool is_new = false;
  Status s = LookupOrCreateEntry(block.header, &entry, &is_new);
  if (!s.ok() || entry.Has(kBlockHaveData)) return s;
  entry.status |= kBlockHaveData;
  entry.num_txs = static_cast<uint32_t>(block.txs.size());
  entry.num_records = static_cast<uint32_t>(block.records.size());
  leveldb::WriteBatch batch;
  BlockStore::PutBlock(block.Hash(), block, &batch);
  BlockStore::PutIndex(entry, &batch);
  if (is_new) BlockStore::PutNextSequence(next_sequence_ + 1, &batch);
  s = store_->Write(&batch);
  if (s.ok() && is_new) ++next_sequence_;
  return s;
}

Status ChainState::ConnectTip(const Block& block) {
  std::lock_guard<std::mutex> lock(mu_);
  const Uint256 hash = block.Hash();
  if (has_tip_ ? block.header.prev != tip_hash_ : !block.header.prev.IsZero()) {
    return Status::InvalidArgument("block " + hash.ToHex() + " does not extend the tip");
  }
  BlockIndexEntry entry;
  bool is_new = false;
  Status s = LookupOrCreateEntry(block.header, &entry, &is_new);
  if (!s.ok()) return s;
  if (entry.Has(kBlockFailed)) {
    return Status::InvalidArgument("block " + hash.ToHex() + " is marked failed");
  }

  leveldb::WriteBatch batch;
  BlockUndo undo;
  s = utxo_.ConnectBlock(block, &undo, &batch);
  if (!s.ok()) return s;
  if (!entry.Has(kBlockHaveData)) {
    BlockStore::PutBlock(hash, block, &batch);
    entry.num_txs = static_cast<uint32_t>(block.txs.size());
    entry.num_records = static_cast<uint32_t>(block.records.size());
  }
  if (is_new) BlockStore::PutNextSequence(next_sequence_ + 1, &batch);
  entry.status |= kBlockHaveData | kBlockHaveUndo | kBlockValid;
  BlockStore::PutIndex(entry, &batch);
  BlockStore::PutUndo(hash, undo, &batch);
  BlockStore::PutHashAtHeight(entry.height(), hash, &batch);
  BlockStore::PutTip(hash, &batch);
  s = store_->Write(&batch);
  if (!s.ok()) return s;

  if (is_new) ++next_sequence_;
  has_tip_ = true;
  tip_hash_ = hash;
  tip_height_ = entry.height();
  return Status::OK();
}

Status ChainState::DisconnectTip(Block* block) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!has_tip_) return Status::NotFound("chain is empty");
  // Every record of the tip must be there (Open checked the flags); a
  // NotFound here means the database lost data.
  auto missing_is_corruption = [](Status st) {
    return st.IsNotFound() ? Status::Corruption(st.message()) : st;
  };
  Block tip;
  BlockUndo undo;
  BlockIndexEntry entry;
  Status s = store_->ReadBlock(tip_hash_, &tip);
  if (s.ok()) s = store_->ReadUndo(tip_hash_, &undo);
  if (s.ok()) s = store_->ReadIndex(tip_hash_, &entry);
  if (!s.ok()) return missing_is_corruption(std::move(s));

  leveldb::WriteBatch batch;
  s = utxo_.DisconnectBlock(tip, undo, &batch);
  if (!s.ok()) {
    // The stored undo data does not fit the stored UTXO set: not the
    // caller's mistake, the database's.
    return s.IsInvalidArgument() ? Status::Corruption(s.message()) : s;
  }
  entry.status &= ~static_cast<uint32_t>(kBlockHaveUndo);
  BlockStore::PutIndex(entry, &batch);
  BlockStore::EraseUndo(tip_hash_, &batch);
  BlockStore::EraseHashAtHeight(tip_height_, &batch);
  const bool becomes_empty = tip.header.prev.IsZero();
  if (becomes_empty) {
    BlockStore::EraseTip(&batch);
  } else {
    BlockStore::PutTip(tip.header.prev, &batch);
  }
  s = store_->Write(&batch);
  if (!s.ok()) return s;

  has_tip_ = !becomes_empty;
  tip_hash_ = becomes_empty ? Uint256() : tip.header.prev;
  tip_height_ = becomes_empty ? 0 : tip_height_ - 1;
  if (block != nullptr) *block = std::move(tip);
  return Status::OK();
}

Status ChainState::MarkFailed(const Uint256& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  BlockIndexEntry entry;
  Status s = store_->ReadIndex(hash, &entry);
  if (!s.ok()) return s;
  Uint256 at_height;
  s = store_->ReadHashAtHeight(entry.height(), &at_height);
  if (s.ok() && at_height == hash) {
    return Status::InvalidArgument("block " + hash.ToHex() + " is on the main chain");
  }
  if (!s.ok() && !s.IsNotFound()) return s;
  if (entry.Has(kBlockFailed)) return Status::OK();
  entry.status |= kBlockFailed;
  leveldb::WriteBatch batch;
  BlockStore::PutIndex(entry, &batch);
  return store_->Write(&batch);
}

Status ChainState::ClearFailed(const Uint256& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  BlockIndexEntry entry;
  Status s = store_->ReadIndex(hash, &entry);
  if (!s.ok() || !entry.Has(kBlockFailed)) return s;
  entry.status &= ~kBlockFailed;
  leveldb::WriteBatch batch;
  BlockStore::PutIndex(entry, &batch);
  return store_->Write(&batch);
}

Status ChainState::GetTip(Uint256* hash, uint32_t* height) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!has_tip_) return Status::NotFound("chain is empty");
  *hash = tip_hash_;
  *height = tip_height_;
  return Status::OK();
}

Status ChainState::GetBlockHashAtHeight(uint32_t height, Uint256* hash) const {
  return store_->ReadHashAtHeight(height, hash);
}

Status ChainState::ReadBlock(const Uint256& hash, Block* block) const {
  return store_->ReadBlock(hash, block);
}

Status ChainState::ReadHeader(const Uint256& hash, BlockHeader* header) const {
  return store_->ReadHeader(hash, header);
}

Status ChainState::ReadIndex(const Uint256& hash, BlockIndexEntry* entry) const {
  return store_->ReadIndex(hash, entry);
}

Status ChainState::ReadUndo(const Uint256& hash, BlockUndo* undo) const {
  return store_->ReadUndo(hash, undo);
}

bool ChainState::HaveBlock(const Uint256& hash) const {
  BlockIndexEntry entry;
  return store_->ReadIndex(hash, &entry).ok() && entry.Has(kBlockHaveData);
}

Status ChainState::FindFork(const Uint256& hash, Uint256* fork) const {
  Uint256 current = hash;
  while (true) {
    BlockIndexEntry entry;
    Status s = store_->ReadIndex(current, &entry);
    if (!s.ok()) return s;
    Uint256 main;
    s = store_->ReadHashAtHeight(entry.height(), &main);
    if (s.ok() && main == current) {
      *fork = current;
      return Status::OK();
    }
    if (!s.ok() && !s.IsNotFound()) return s;
    if (entry.header.prev.IsZero()) {
      return Status::NotFound("block " + hash.ToHex() + " shares no block with the main chain");
    }
    current = entry.header.prev;
  }
}

Status ChainState::GetCoin(const OutPoint& outpoint, Coin* coin) const {
  return utxo_.GetCoin(outpoint, coin);
}

}  // namespace cc
