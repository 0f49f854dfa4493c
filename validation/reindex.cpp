#include "validation/reindex.h"

#include <fcntl.h>
#include <leveldb/db.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "chain/chain_state.h"
#include "chain/leveldb_open.h"
#include "chain/logging.h"
#include "chain/serialize.h"
#include "chain/store_format.h"

namespace cc {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFlagFile = "reindexing";

fs::path Live(const fs::path& datadir) { return datadir / "chainstate"; }
fs::path Staged(const fs::path& datadir) { return datadir / "chainstate.reindex"; }
fs::path Retired(const fs::path& datadir) { return datadir / "chainstate.old"; }

Status FsError(const std::string& what, const fs::path& path, const std::error_code& ec) {
  return Status::IOError("reindex: cannot " + what + " " + path.string() + ": " + ec.message());
}

// Makes the directory's entries (a new file, a rename) durable.
Status SyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Status::IOError("reindex: cannot fsync " + dir.string());
  }
  ::close(fd);
  return Status::OK();
}

Status RemoveAll(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  return ec ? FsError("remove", path, ec) : Status::OK();
}

// The header of block `hash` in the old block index, if its entry survived
// intact (decodes, and the header hashes to its key).
bool ReadOldHeader(leveldb::DB& old_db, const Uint256& hash, BlockHeader* header) {
  std::string value;
  if (!old_db.Get(leveldb::ReadOptions(), store::HashKey(store::kIndexPrefix, hash), &value).ok())
    return false;
  BlockIndexEntry entry;
  if (!Deserialize(store::ToBytes(leveldb::Slice(value)), &entry).ok() ||
      entry.header.Hash() != hash)
    return false;
  *header = entry.header;
  return true;
}

// Stores in `dest` the headers from its first known ancestor of `hash` down
// to `hash`, read from the old block index one at a time (a whole index in
// memory would cost hundreds of MB on a long chain). Returns false if that
// chain of headers breaks before reaching a known one.
bool StoreMissingAncestors(const Uint256& hash, leveldb::DB& old_db, ChainState* dest) {
  std::vector<BlockHeader> missing;  // child first
  BlockIndexEntry known;
  for (Uint256 h = hash; !dest->ReadIndex(h, &known).ok();) {
    BlockHeader header;
    if (!ReadOldHeader(old_db, h, &header)) return false;
    // Heights fall by one per parent, so the walk ends.
    if (!missing.empty() && header.height + 1 != missing.back().height) return false;
    missing.push_back(header);
    h = header.prev;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (!dest->StoreHeader(*it).ok()) return false;
  return true;
}

// -reindex: every block record ('d' table) that decodes and hashes to its
// key, lowest height first so that parents are stored before children. A
// block whose record is damaged keeps its place as a header from the old
// index, where that survived, so that the blocks above it are kept too and
// connect once a peer serves it again; before, they were all dropped.
Status CopyBlockRecords(const fs::path& source, const Block& genesis, ChainState* dest) {
  if (!HoldsLevelDbData(source)) return Status::OK();  // nothing stored yet
  if (Status s = dest->StoreBlock(genesis); !s.ok()) return s;
  leveldb::Options options;
  options.create_if_missing = false;
  std::unique_ptr<leveldb::DB> db;
  Status s = OpenLevelDb(source, options, "chain", &db);
  if (s.IsCorruption()) {
    LogPrintf("Reindex: " + s.message() + "; salvaging its tables with LevelDB's repair");
    const leveldb::Status repaired = leveldb::RepairDB(source.string(), options);
    if (!repaired.ok()) return Status::Corruption("reindex: repair failed: " + repaired.ToString());
    s = OpenLevelDb(source, options, "chain", &db);
  }
  if (!s.ok()) return s;

  std::vector<std::pair<uint32_t, std::string>> blocks;  // (height, key)
  uint32_t damaged = 0;
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
  const std::string prefix(1, store::kBlockPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    Block block;
    const leveldb::Slice key = it->key();
    if (key.size() != 1 + Uint256::kSize ||
        !Deserialize(store::ToBytes(it->value()), &block).ok() ||
        store::HashKey(store::kBlockPrefix, block.Hash()) != key.ToString()) {
      ++damaged;
      continue;
    }
    blocks.emplace_back(block.header.height, key.ToString());
  }
  if (!it->status().ok()) LogPrintf("Reindex: reading the blocks: " + it->status().ToString());
  it.reset();
  std::sort(blocks.begin(), blocks.end());
  uint32_t orphans = 0;
  uint32_t on_old_headers = 0;  // children of blocks whose records were damaged
  for (const auto& [height, key] : blocks) {
    std::string value;
    Block block;
    leveldb::Status ls = db->Get(leveldb::ReadOptions(), key, &value);
    if (!ls.ok()) return store::FromLevelDb(ls, "reindex: block");
    s = Deserialize(store::ToBytes(leveldb::Slice(value)), &block);
    if (s.ok()) s = dest->StoreBlock(block);
    if (s.IsInvalidArgument() && StoreMissingAncestors(block.header.prev, *db, dest)) {
      s = dest->StoreBlock(block);
      if (s.ok()) ++on_old_headers;
    }
    if (s.IsInvalidArgument() || s.IsCorruption()) {
      ++orphans;  // its parent was lost, header too: it cannot be placed in the tree
      continue;
    }
    if (!s.ok()) return s;
  }
  LogPrintf("Reindex: found " + std::to_string(blocks.size() - orphans) + " stored blocks (" +
            std::to_string(damaged) + " damaged records and " + std::to_string(orphans) +
            " blocks without a parent skipped)");
  if (on_old_headers > 0)
    LogPrintf("Reindex: " + std::to_string(on_old_headers) +
              " blocks placed on headers from the old index (their parents' block records were "
              "damaged: those blocks are fetched again from peers, and the blocks above them "
              "connect once they are)");
  return Status::OK();
}

// -reindex-chainstate: the block index in first-seen order (parents come
// first), headers-only entries and failed marks included.
Status CopyBlockIndex(const fs::path& source, ChainState* dest) {
  BlockStoreOptions options;
  options.create_if_missing = false;
  std::unique_ptr<BlockStore> store;
  Status s = BlockStore::Open(source.string(), options, &store);
  if (!s.ok()) return s;
  std::vector<BlockIndexEntry> entries;
  s = store->ForEachIndexEntry([&entries](const BlockIndexEntry& e) {
    entries.push_back(e);
    return Status::OK();
  });
  if (!s.ok()) return s;
  std::sort(entries.begin(), entries.end(), [](const BlockIndexEntry& a, const BlockIndexEntry& b) {
    return a.sequence < b.sequence;
  });
  for (const BlockIndexEntry& entry : entries) {
    if (entry.Has(kBlockHaveData)) {
      Block block;
      s = store->ReadBlock(entry.header.Hash(), &block);
      if (s.ok()) s = dest->StoreBlock(block);
    } else {
      s = dest->StoreHeader(entry.header);
    }
    if (s.ok() && entry.Has(kBlockFailed)) s = dest->MarkFailed(entry.header.Hash());
    if (!s.ok()) return s;
  }
  LogPrintf("Reindex: copied " + std::to_string(entries.size()) + " block index entries");
  return Status::OK();
}

}  // namespace

Status RebuildChainDatabase(const fs::path& datadir, ReindexMode mode, const Block& genesis,
                            const BlockStoreOptions& options) {
  Status s = RecoverInterruptedReindex(datadir);
  if (s.ok()) s = RemoveAll(Staged(datadir));  // a copy a crash cut short
  if (!s.ok()) return s;
  LogPrintf(mode == ReindexMode::kFull
                ? "Reindex: rebuilding the chain from the stored blocks"
                : "Reindex: rebuilding the chain state from the block index");
  {
    BlockStoreOptions dest_options = options;
    dest_options.create_if_missing = true;
    std::unique_ptr<ChainState> dest;
    s = ChainState::Open(Staged(datadir).string(), dest_options, &dest);
    if (!s.ok()) return s;
    s = mode == ReindexMode::kFull ? CopyBlockRecords(Live(datadir), genesis, dest.get())
                                   : CopyBlockIndex(Live(datadir), dest.get());
    if (!s.ok()) return s;
  }
  // The commit point: from here on a restart completes the swap.
  const fs::path flag = datadir / kFlagFile;
  const int fd = ::open(flag.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Status::IOError("reindex: cannot write " + flag.string());
  }
  ::close(fd);
  s = SyncDirectory(datadir);
  if (!s.ok()) return s;
  return RecoverInterruptedReindex(datadir);
}

Status RecoverInterruptedReindex(const fs::path& datadir) {
  std::error_code ec;
  if (!ReindexPending(datadir)) {
    // No commit point reached: an incomplete copy, discarded.
    return RemoveAll(Staged(datadir));
  }
  if (fs::exists(Staged(datadir), ec)) {
    if (fs::exists(Live(datadir), ec)) {
      fs::remove_all(Retired(datadir), ec);
      if (ec) return FsError("remove", Retired(datadir), ec);
      fs::rename(Live(datadir), Retired(datadir), ec);
      if (ec) return FsError("move", Live(datadir), ec);
    }
    // The snapshots belong to the old database's chain: rebuilt in phase 2.
    Status s = RemoveAll(datadir / "consensus");
    if (!s.ok()) return s;
    fs::rename(Staged(datadir), Live(datadir), ec);
    if (ec) return FsError("move", Staged(datadir), ec);
    s = SyncDirectory(datadir);
    if (!s.ok()) return s;
  }
  return RemoveAll(Retired(datadir));
}

bool ReindexPending(const fs::path& datadir) {
  std::error_code ec;
  return fs::exists(datadir / kFlagFile, ec);
}

Status FinishReindex(const fs::path& datadir) {
  std::error_code ec;
  fs::remove(datadir / kFlagFile, ec);
  if (ec) return FsError("remove", datadir / kFlagFile, ec);
  return SyncDirectory(datadir);
}

Status WithReindexHint(const Status& s) {
  if (!s.IsCorruption() || s.message().find("-reindex") != std::string::npos) return s;
  return Status::Corruption(s.message() +
                            ". Please restart with -reindex or -reindex-chainstate to recover.");
}

}  // namespace cc
