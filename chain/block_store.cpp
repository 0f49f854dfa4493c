#include "chain/block_store.h"

#include <utility>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "chain/leveldb_open.h"
#include "chain/store_format.h"

namespace cc {
namespace {

// Bloom filters make the UTXO set's "is this output already there?" probes
// for new outputs (almost always absent) cost no disk read.
constexpr int kBloomBitsPerKey = 10;

leveldb::ReadOptions VerifyingReads() {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  return ro;
}

template <typename T>
void PutValue(leveldb::WriteBatch* batch, const std::string& key, const T& value) {
  const std::vector<uint8_t> bytes = Serialize(value);
  batch->Put(store::ToSlice(key), store::ToSlice(ByteSpan(bytes)));
}

template <typename T>
Status DecodeValue(const std::string& value, T* out, std::string_view what) {
  Status s = Deserialize(store::ToBytes(value), out);
  if (!s.ok()) return Status::Corruption(std::string(what) + ": " + s.message());
  return s;
}

std::string Describe(std::string_view what, const Uint256& hash) {
  return std::string(what) + " " + hash.ToHex();
}

}  // namespace

BlockStore::BlockStore(std::unique_ptr<leveldb::DB> db, std::unique_ptr<leveldb::Cache> cache,
                       std::unique_ptr<const leveldb::FilterPolicy> filter, bool sync)
    : cache_(std::move(cache)), filter_(std::move(filter)), db_(std::move(db)), sync_(sync) {}

BlockStore::~BlockStore() = default;

Status BlockStore::Open(const std::string& path, const BlockStoreOptions& options,
                        std::unique_ptr<BlockStore>* out) {
  std::unique_ptr<leveldb::Cache> cache(leveldb::NewLRUCache(options.cache_bytes));
  std::unique_ptr<const leveldb::FilterPolicy> filter(
      leveldb::NewBloomFilterPolicy(kBloomBitsPerKey));
  leveldb::Options lo;
  lo.create_if_missing = options.create_if_missing;
  lo.write_buffer_size = options.write_buffer_bytes;
  lo.block_cache = cache.get();
  lo.filter_policy = filter.get();
  std::unique_ptr<leveldb::DB> db;
  Status s = OpenLevelDb(path, lo, "chain", &db);
  if (!s.ok()) return s;
  std::unique_ptr<BlockStore> bs(
      new BlockStore(std::move(db), std::move(cache), std::move(filter), options.sync));

  std::string value;
  s = bs->Get(std::string(store::kVersionKey), &value, "schema version");
  if (s.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(bs->db_->NewIterator(leveldb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return Status::Corruption("chain database has data but no schema version");
    leveldb::WriteBatch batch;
    PutValue(&batch, std::string(store::kVersionKey), store::kSchemaVersion);
    s = bs->Write(&batch);
  } else if (s.ok()) {
    uint32_t version = 0;
    s = DecodeValue(value, &version, "schema version");
    if (s.ok() && version != store::kSchemaVersion) {
      return Status::NotSupported("chain database schema version " + std::to_string(version) +
                                  ", this build reads " + std::to_string(store::kSchemaVersion) +
                                  " (doc/chain-storage.md): the chain was stored by another "
                                  "release; move that data directory away or use another -datadir");
    }
  }
  if (!s.ok()) return s;
  *out = std::move(bs);
  return Status::OK();
}

Status BlockStore::Get(const std::string& key, std::string* value, const char* what) const {
  const leveldb::Status s = db_->Get(VerifyingReads(), store::ToSlice(key), value);
  if (s.IsNotFound()) return Status::NotFound(std::string(what) + " not stored");
  return store::FromLevelDb(s, what);
}

Status BlockStore::ReadIndex(const Uint256& hash, BlockIndexEntry* entry) const {
  const std::string what = Describe("index entry", hash);
  std::string value;
  Status s = Get(store::HashKey(store::kIndexPrefix, hash), &value, what.c_str());
  if (s.ok()) s = DecodeValue(value, entry, what);
  if (!s.ok()) return s;
  if ((entry->status & ~kBlockStatusMask) != 0) {
    return Status::Corruption(what + ": unknown status bits");
  }
  if (entry->header.Hash() != hash) return Status::Corruption(what + ": header does not match key");
  return Status::OK();
}

Status BlockStore::ReadHeader(const Uint256& hash, BlockHeader* header) const {
  BlockIndexEntry entry;
  Status s = ReadIndex(hash, &entry);
  if (s.ok()) *header = std::move(entry.header);
  return s;
}

Status BlockStore::ReadBlock(const Uint256& hash, Block* block) const {
  const std::string what = Describe("block", hash);
  std::string value;
  Status s = Get(store::HashKey(store::kBlockPrefix, hash), &value, what.c_str());
  if (s.ok()) s = DecodeValue(value, block, what);
  if (!s.ok()) return s;
  if (block->Hash() != hash) return Status::Corruption(what + ": data does not match key");
  return Status::OK();
}

Status BlockStore::ReadUndo(const Uint256& hash, BlockUndo* undo) const {
  const std::string what = Describe("undo data of block", hash);
  std::string value;
  Status s = Get(store::HashKey(store::kUndoPrefix, hash), &value, what.c_str());
  if (s.ok()) s = DecodeValue(value, undo, what);
  return s;
}

Status BlockStore::ReadHashAtHeight(uint32_t height, Uint256* hash) const {
  const std::string what = "main-chain block at height " + std::to_string(height);
  std::string value;
  Status s = Get(store::HeightKey(height), &value, what.c_str());
  if (s.ok()) s = DecodeValue(value, hash, what);
  return s;
}

Status BlockStore::ReadTip(Uint256* hash) const {
  std::string value;
  Status s = Get(std::string(store::kTipKey), &value, "chain tip");
  if (s.ok()) s = DecodeValue(value, hash, "chain tip");
  return s;
}

Status BlockStore::ReadNextSequence(uint64_t* sequence) const {
  std::string value;
  Status s = Get(std::string(store::kSequenceKey), &value, "sequence counter");
  if (s.IsNotFound()) {
    *sequence = 0;
    return Status::OK();
  }
  if (s.ok()) s = DecodeValue(value, sequence, "sequence counter");
  return s;
}

Status BlockStore::ForEachIndexEntry(
    const std::function<Status(const BlockIndexEntry&)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifyingReads()));
  const std::string prefix(1, store::kIndexPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    BlockIndexEntry entry;
    Status s = Deserialize(store::ToBytes(it->value()), &entry);
    if (!s.ok()) return Status::Corruption("index entry: " + s.message());
    if ((entry.status & ~kBlockStatusMask) != 0) {
      return Status::Corruption("index entry: unknown status bits");
    }
    s = fn(entry);
    if (!s.ok()) return s;
  }
  return store::FromLevelDb(it->status(), "index scan");
}

Status BlockStore::ReadHighestHeight(uint32_t* height) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifyingReads()));
  // The first key after the 'h' table, then one step back.
  it->Seek(std::string(1, store::kHeightPrefix + 1));
  if (it->Valid()) {
    it->Prev();
  } else {
    it->SeekToLast();
  }
  if (!it->Valid() || it->key().size() == 0 || it->key()[0] != store::kHeightPrefix) {
    Status s = store::FromLevelDb(it->status(), "height scan");
    return s.ok() ? Status::NotFound("no main-chain blocks") : s;
  }
  const leveldb::Slice key = it->key();
  if (key.size() != 5) return Status::Corruption("malformed height key");
  uint32_t h = 0;
  for (size_t i = 1; i < 5; ++i) h = h << 8 | static_cast<uint8_t>(key[i]);
  *height = h;
  return Status::OK();
}

void BlockStore::PutIndex(const BlockIndexEntry& entry, leveldb::WriteBatch* batch) {
  PutValue(batch, store::HashKey(store::kIndexPrefix, entry.header.Hash()), entry);
}

void BlockStore::PutBlock(const Uint256& hash, const Block& block, leveldb::WriteBatch* batch) {
  PutValue(batch, store::HashKey(store::kBlockPrefix, hash), block);
}

void BlockStore::PutUndo(const Uint256& hash, const BlockUndo& undo, leveldb::WriteBatch* batch) {
  PutValue(batch, store::HashKey(store::kUndoPrefix, hash), undo);
}

void BlockStore::EraseUndo(const Uint256& hash, leveldb::WriteBatch* batch) {
  batch->Delete(store::HashKey(store::kUndoPrefix, hash));
}

void BlockStore::PutHashAtHeight(uint32_t height, const Uint256& hash, leveldb::WriteBatch* batch) {
  PutValue(batch, store::HeightKey(height), hash);
}

void BlockStore::EraseHashAtHeight(uint32_t height, leveldb::WriteBatch* batch) {
  batch->Delete(store::HeightKey(height));
}

void BlockStore::PutTip(const Uint256& hash, leveldb::WriteBatch* batch) {
  PutValue(batch, std::string(store::kTipKey), hash);
}

void BlockStore::EraseTip(leveldb::WriteBatch* batch) {
  batch->Delete(store::ToSlice(store::kTipKey));
}

void BlockStore::PutNextSequence(uint64_t sequence, leveldb::WriteBatch* batch) {
  PutValue(batch, std::string(store::kSequenceKey), sequence);
}

Status BlockStore::Write(leveldb::WriteBatch* batch) {
  leveldb::WriteOptions wo;
  wo.sync = sync_;
  return store::FromLevelDb(db_->Write(wo, batch), "chain database write");
}

}  // namespace cc
