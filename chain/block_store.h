// BlockStore: the block tables of the chain state's LevelDB database.
//
// The database (one per datadir, "<datadir>/chainstate") holds the block
// index, block data, undo data, the active chain and its tip, and also the
// UTXO set (utxo.h), so that a block connect or disconnect is one atomic
// LevelDB write batch (see chain_state.h and doc/chain.md, "Storage").
//
// Key layout (one-byte table prefix; integers in keys are big-endian so that
// key order is numeric order; values are canonical encodings, serialize.h):
//
//   'b' hash:32                      -> BlockIndexEntry   every known block
//   'd' hash:32                      -> Block             block data
//   'u' hash:32                      -> BlockUndo         undo data (main chain only)
//   'h' height:u32be                 -> hash:32           the active chain
//   'c' txid:32 index:u32be          -> Coin              UTXO set at the tip
//   'm' "tip"                        -> hash:32           active tip; absent = empty chain
//   'm' "version"                    -> u32               schema version, 2
//   'm' "seq"                        -> u64               next first-seen sequence number
//
// BlockIndexEntry = header:BlockHeader status:u32 num_txs:u32
//                   num_records:u32 sequence:u64
//
// Reads verify what they decode: a value that does not parse, carries
// unknown status bits, or whose header does not hash to its key is reported
// as Corruption (never a crash). Writes are staged into a
// leveldb::WriteBatch with the static Put/Erase helpers and applied with
// Write(), so that callers can combine block-store and UTXO changes in one
// atomic batch.
//
// Thread safety: all const methods may be called concurrently with each
// other and with Write() (LevelDB is internally synchronised; a reader sees
// a batch entirely or not at all). Serialising writers, and keeping the
// tables consistent with each other, is the caller's job (ChainState).

#ifndef COMPUTECOIN_CHAIN_BLOCK_STORE_H
#define COMPUTECOIN_CHAIN_BLOCK_STORE_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "chain/block.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "chain/uint256.h"
#include "chain/undo.h"

namespace leveldb {
class Cache;
class DB;
class FilterPolicy;
class WriteBatch;
}  // namespace leveldb

namespace cc {

/// BlockIndexEntry::status bits.
enum BlockStatus : uint32_t {
  kBlockHaveData = 1u << 0,  //!< the block's data ('d') is stored
  kBlockHaveUndo = 1u << 1,  //!< its undo data ('u') is stored: exactly the main-chain blocks
  kBlockValid = 1u << 2,     //!< it has been connected to the main chain at least once
  kBlockFailed = 1u << 3,    //!< consensus rejected it; it must never be connected
};
inline constexpr uint32_t kBlockStatusMask = 0xf;

/// What the store knows about one block, main chain or not. Whether a block
/// is on the main chain is not stored here: it is exactly
/// "hash at header.height in the 'h' table == this hash", kept in the same
/// batch as every other change, so the two cannot disagree.
struct BlockIndexEntry {
  BlockHeader header;
  uint32_t status = 0;       //!< BlockStatus bits
  uint32_t num_txs = 0;      //!< transactions in the block; 0 until kBlockHaveData
  uint32_t num_records = 0;  //!< work records in the block; 0 until kBlockHaveData
  uint64_t sequence = 0;     //!< first-seen order in this store (fork choice's tie-break)

  CC_SERIALIZE_METHODS(BlockIndexEntry, obj) {
    ar(obj.header, obj.status, obj.num_txs, obj.num_records, obj.sequence);
  }
  bool operator==(const BlockIndexEntry&) const = default;

  [[nodiscard]] bool Has(BlockStatus flag) const { return (status & flag) != 0; }
  uint32_t height() const { return header.height; }
};

struct BlockStoreOptions {
  /// Create the database if `path` is absent or holds no data (never over
  /// an existing database that LevelDB cannot open: see OpenLevelDb).
  bool create_if_missing = true;
  /// fsync every write. A process crash (even SIGKILL) never loses an
  /// acknowledged write either way, since LevelDB appends each batch to its
  /// log before returning; sync additionally survives power loss. Tests and
  /// benchmarks may turn it off for speed.
  bool sync = true;
  /// LevelDB block cache (e.g. 16 MiB).
  size_t cache_bytes = 16 << 20;
  /// LevelDB memtable size (e.g. 8 MiB): larger means fewer level-0 files.
  size_t write_buffer_bytes = 8 << 20;
};

class BlockStore {
 public:
  /// Opens (or, with create_if_missing, creates) the database at `path`.
  /// On success stores the store in *out (owned by the caller).
  /// Returns IOError if LevelDB cannot open it (e.g. locked by another
  /// process), Corruption if `path` holds a damaged database (OpenLevelDb's
  /// message, e.g. CURRENT missing), NotSupported for a schema version other than ours, Corruption
  /// if the database is non-empty but has no schema version.
  static Status Open(const std::string& path, const BlockStoreOptions& options,
                     std::unique_ptr<BlockStore>* out);

  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  // ---- Reads. NotFound if the record is absent, Corruption if it fails to
  // ---- decode or verify; the output is then unspecified.

  Status ReadIndex(const Uint256& hash, BlockIndexEntry* entry) const;
  /// The header from the block's index entry.
  Status ReadHeader(const Uint256& hash, BlockHeader* header) const;
  /// NotFound also when only the header is known (no kBlockHaveData).
  Status ReadBlock(const Uint256& hash, Block* block) const;
  Status ReadUndo(const Uint256& hash, BlockUndo* undo) const;
  /// The active chain's block at `height`; NotFound above the tip.
  Status ReadHashAtHeight(uint32_t height, Uint256* hash) const;
  /// The active chain's tip; NotFound when the chain is empty.
  Status ReadTip(Uint256* hash) const;
  /// The next first-seen sequence number to hand out (0 on a new store).
  Status ReadNextSequence(uint64_t* sequence) const;

  /// Calls fn on every index entry, in hash order, stopping at (and
  /// returning) the first non-OK status fn returns. Returns Corruption for
  /// an entry that does not decode.
  Status ForEachIndexEntry(const std::function<Status(const BlockIndexEntry&)>& fn) const;

  /// The highest height present in the 'h' table, or NotFound if it is
  /// empty. Used to check on open that nothing lies above the tip.
  Status ReadHighestHeight(uint32_t* height) const;

  // ---- Staging: append one change to *batch; nothing is written until
  // ---- Write(batch).

  static void PutIndex(const BlockIndexEntry& entry, leveldb::WriteBatch* batch);
  static void PutBlock(const Uint256& hash, const Block& block, leveldb::WriteBatch* batch);
  static void PutUndo(const Uint256& hash, const BlockUndo& undo, leveldb::WriteBatch* batch);
  static void EraseUndo(const Uint256& hash, leveldb::WriteBatch* batch);
  static void PutHashAtHeight(uint32_t height, const Uint256& hash, leveldb::WriteBatch* batch);
  static void EraseHashAtHeight(uint32_t height, leveldb::WriteBatch* batch);
  static void PutTip(const Uint256& hash, leveldb::WriteBatch* batch);
  static void EraseTip(leveldb::WriteBatch* batch);
  static void PutNextSequence(uint64_t sequence, leveldb::WriteBatch* batch);

  /// Applies *batch atomically (fsynced if options.sync). Returns IOError
  /// (or Corruption) from LevelDB; then nothing of the batch was applied.
  Status Write(leveldb::WriteBatch* batch);

  /// The underlying database, shared with the UTXO set (utxo.h). Owned by
  /// this store; valid until it is destroyed.
  leveldb::DB* db() const { return db_.get(); }

 private:
  BlockStore(std::unique_ptr<leveldb::DB> db, std::unique_ptr<leveldb::Cache> cache,
             std::unique_ptr<const leveldb::FilterPolicy> filter, bool sync);

  /// Reads the raw value at `key`; NotFound if absent.
  Status Get(const std::string& key, std::string* value, const char* what) const;

  // Declaration order matters: the database must close before the cache and
  // filter policy it was opened with are freed.
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;
  const bool sync_;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_BLOCK_STORE_H
