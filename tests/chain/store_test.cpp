// Block store and ChainState: storing and reading blocks, the index and the
// active chain, position checks, and error paths (missing records give
// NotFound; bytes corrupted directly in LevelDB give Corruption).

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include "chain/block_store.h"
#include "chain/chain_state.h"
#include "chain/leveldb_open.h"
#include "chain/store_format.h"
#include "tests/chain/store_test_util.h"

namespace cc {
namespace {

using test::BlockGenerator;

class StoreTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Open().ok()); }

  std::string Path() const { return dir_.Sub("chainstate"); }
  Status Open() { return ChainState::Open(Path(), test::FastOptions(), &chain_); }
  void Close() { chain_.reset(); }

  Block ConnectNew(int max_txs = 4) {
    Block block = gen_.MakeNext(*chain_, max_txs);
    const Status s = chain_->ConnectTip(block);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return block;
  }

  // Writes `value` at `key` straight into the closed database, bypassing
  // every check, to model disk corruption or a bug in an older version.
  void RawPut(const std::string& key, const std::string& value) {
    ASSERT_EQ(chain_, nullptr) << "close the chain state first";
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), Path(), &db).ok());
    EXPECT_TRUE(db->Put(leveldb::WriteOptions(), key, value).ok());
    delete db;
  }
  void RawDelete(const std::string& key) {
    ASSERT_EQ(chain_, nullptr) << "close the chain state first";
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), Path(), &db).ok());
    EXPECT_TRUE(db->Delete(leveldb::WriteOptions(), key).ok());
    delete db;
  }
  std::string RawGet(const std::string& key) {
    std::string value;
    EXPECT_TRUE(chain_->store().db()->Get(leveldb::ReadOptions(), key, &value).ok());
    return value;
  }
  static std::string AsString(const std::vector<uint8_t>& bytes) {
    return std::string(bytes.begin(), bytes.end());
  }

  test::TempDir dir_;
  BlockGenerator gen_{/*seed=*/7};
  std::unique_ptr<ChainState> chain_;
};

// ---- Storing and reading.

TEST_F(StoreTest, EmptyChainHasNoTip) {
  Uint256 hash;
  uint32_t height = 0;
  EXPECT_TRUE(chain_->GetTip(&hash, &height).IsNotFound());
  EXPECT_TRUE(chain_->GetBlockHashAtHeight(0, &hash).IsNotFound());
  EXPECT_TRUE(chain_->DisconnectTip(nullptr).IsNotFound());
}

TEST_F(StoreTest, StoredBlockReadsBackEqual) {
  const Block genesis = gen_.Make(Uint256(), 0, {}, 0);
  ASSERT_TRUE(chain_->StoreBlock(genesis).ok());
  Block read;
  ASSERT_TRUE(chain_->ReadBlock(genesis.Hash(), &read).ok());
  EXPECT_EQ(read, genesis);
  BlockHeader header;
  ASSERT_TRUE(chain_->ReadHeader(genesis.Hash(), &header).ok());
  EXPECT_EQ(header, genesis.header);
  EXPECT_TRUE(chain_->HaveBlock(genesis.Hash()));
  // Stored is not connected.
  Uint256 tip;
  uint32_t height = 0;
  EXPECT_TRUE(chain_->GetTip(&tip, &height).IsNotFound());
}

TEST_F(StoreTest, IndexEntryRecordsShapeStatusAndFirstSeenOrder) {
  const Block genesis = ConnectNew(0);
  const Block side = gen_.Make(genesis.Hash(), 1, {}, 0);
  const Block main = ConnectNew(3);
  ASSERT_TRUE(chain_->StoreBlock(side).ok());

  BlockIndexEntry g, m, s;
  ASSERT_TRUE(chain_->ReadIndex(genesis.Hash(), &g).ok());
  ASSERT_TRUE(chain_->ReadIndex(main.Hash(), &m).ok());
  ASSERT_TRUE(chain_->ReadIndex(side.Hash(), &s).ok());
  EXPECT_EQ(m.num_txs, main.txs.size());
  EXPECT_EQ(m.num_records, 0u);
  EXPECT_EQ(m.status, kBlockHaveData | kBlockHaveUndo | kBlockValid);
  EXPECT_EQ(s.status, static_cast<uint32_t>(kBlockHaveData));
  EXPECT_LT(g.sequence, m.sequence);
  EXPECT_LT(m.sequence, s.sequence);

  // Storing again changes nothing, the first-seen order included.
  ASSERT_TRUE(chain_->StoreBlock(side).ok());
  BlockIndexEntry again;
  ASSERT_TRUE(chain_->ReadIndex(side.Hash(), &again).ok());
  EXPECT_EQ(again, s);

  int count = 0;
  ASSERT_TRUE(chain_->store()
                  .ForEachIndexEntry([&count](const BlockIndexEntry&) {
                    ++count;
                    return Status::OK();
                  })
                  .ok());
  EXPECT_EQ(count, 3);
}

TEST_F(StoreTest, HeaderOnlyEntryHasNoData) {
  const Block genesis = gen_.Make(Uint256(), 0, {}, 0);
  ASSERT_TRUE(chain_->StoreHeader(genesis.header).ok());
  EXPECT_FALSE(chain_->HaveBlock(genesis.Hash()));
  Block block;
  EXPECT_TRUE(chain_->ReadBlock(genesis.Hash(), &block).IsNotFound());
  BlockIndexEntry before;
  ASSERT_TRUE(chain_->ReadIndex(genesis.Hash(), &before).ok());
  EXPECT_EQ(before.status, 0u);

  ASSERT_TRUE(chain_->StoreBlock(genesis).ok());
  EXPECT_TRUE(chain_->HaveBlock(genesis.Hash()));
  BlockIndexEntry after;
  ASSERT_TRUE(chain_->ReadIndex(genesis.Hash(), &after).ok());
  EXPECT_EQ(after.sequence, before.sequence);
  EXPECT_EQ(after.num_txs, 1u);
}

TEST_F(StoreTest, MissingRecordsAreNotFound) {
  ConnectNew();
  const Uint256 unknown = test::RandomHash(gen_.rng());
  Block block;
  BlockHeader header;
  BlockIndexEntry entry;
  BlockUndo undo;
  Uint256 hash;
  EXPECT_TRUE(chain_->ReadBlock(unknown, &block).IsNotFound());
  EXPECT_TRUE(chain_->ReadHeader(unknown, &header).IsNotFound());
  EXPECT_TRUE(chain_->ReadIndex(unknown, &entry).IsNotFound());
  EXPECT_TRUE(chain_->ReadUndo(unknown, &undo).IsNotFound());
  EXPECT_TRUE(chain_->GetBlockHashAtHeight(1, &hash).IsNotFound());
  EXPECT_TRUE(chain_->FindFork(unknown, &hash).IsNotFound());
  EXPECT_TRUE(chain_->MarkFailed(unknown).IsNotFound());
  EXPECT_FALSE(chain_->HaveBlock(unknown));
}

TEST_F(StoreTest, StoreRefusesUnknownParentAndWrongHeight) {
  const Block genesis = ConnectNew(0);
  const Block orphan = gen_.Make(test::RandomHash(gen_.rng()), 1, {}, 0);
  Status s = chain_->StoreBlock(orphan);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("unknown"), std::string::npos) << s.ToString();

  const Block skips = gen_.Make(genesis.Hash(), 2, {}, 0);
  s = chain_->StoreBlock(skips);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  const Block rootless = gen_.Make(Uint256(), 5, {}, 0);
  EXPECT_TRUE(chain_->StoreHeader(rootless.header).IsInvalidArgument());
  EXPECT_FALSE(chain_->HaveBlock(orphan.Hash()));
}

TEST_F(StoreTest, ConnectTipRefusesBlockNotOnTip) {
  const Block genesis = ConnectNew(0);
  ConnectNew(0);
  const Block stale = gen_.Make(genesis.Hash(), 1, {}, 0);
  Status s = chain_->ConnectTip(stale);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find("does not extend the tip"), std::string::npos);
  // On an empty chain only a block without a parent fits.
  test::TempDir other_dir;
  std::unique_ptr<ChainState> other;
  ASSERT_TRUE(ChainState::Open(other_dir.Sub("cs"), test::FastOptions(), &other).ok());
  EXPECT_TRUE(other->ConnectTip(stale).IsInvalidArgument());
}

TEST_F(StoreTest, FailedBlockIsNeverConnected) {
  const Block genesis = ConnectNew(0);
  const Block bad = gen_.Make(genesis.Hash(), 1, {}, 0);
  ASSERT_TRUE(chain_->StoreBlock(bad).ok());
  ASSERT_TRUE(chain_->MarkFailed(bad.Hash()).ok());
  EXPECT_TRUE(chain_->ConnectTip(bad).IsInvalidArgument());
  // The mark survives a restart.
  Close();
  ASSERT_TRUE(Open().ok());
  BlockIndexEntry entry;
  ASSERT_TRUE(chain_->ReadIndex(bad.Hash(), &entry).ok());
  EXPECT_TRUE(entry.Has(kBlockFailed));
  EXPECT_TRUE(chain_->ConnectTip(bad).IsInvalidArgument());
  // A main-chain block cannot be marked; disconnect it first.
  EXPECT_TRUE(chain_->MarkFailed(genesis.Hash()).IsInvalidArgument());
}

TEST_F(StoreTest, FindForkOfSideBranch) {
  const Block genesis = ConnectNew(0);
  const Block a1 = ConnectNew(0);
  ConnectNew(0);
  const Block b2 = gen_.Make(a1.Hash(), 2, {}, 0);
  const Block b3 = gen_.Make(b2.Hash(), 3, {}, 0);
  ASSERT_TRUE(chain_->StoreBlock(b2).ok());
  ASSERT_TRUE(chain_->StoreBlock(b3).ok());
  Uint256 fork;
  ASSERT_TRUE(chain_->FindFork(b3.Hash(), &fork).ok());
  EXPECT_EQ(fork, a1.Hash());
  ASSERT_TRUE(chain_->FindFork(genesis.Hash(), &fork).ok());
  EXPECT_EQ(fork, genesis.Hash());
  // A second genesis shares nothing with the main chain.
  const Block other_root = gen_.Make(Uint256(), 0, {}, 0);
  ASSERT_TRUE(chain_->StoreBlock(other_root).ok());
  EXPECT_TRUE(chain_->FindFork(other_root.Hash(), &fork).IsNotFound());
}

TEST_F(StoreTest, SecondOpenOfSameDatabaseFails) {
  std::unique_ptr<ChainState> second;
  const Status s = ChainState::Open(Path(), test::FastOptions(), &second);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

TEST_F(StoreTest, OpenWithoutCreateFailsOnMissingDatabase) {
  BlockStoreOptions options = test::FastOptions();
  options.create_if_missing = false;
  std::unique_ptr<ChainState> other;
  EXPECT_FALSE(ChainState::Open(dir_.Sub("absent"), options, &other).ok());
}

// Every file name under `dir`, sorted, with its size.
std::vector<std::pair<std::string, uintmax_t>> ListFiles(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, uintmax_t>> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files.emplace_back(entry.path().filename().string(), entry.file_size());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Issue 11: with create_if_missing, LevelDB started a new chain at height 0
// over a chainstate whose CURRENT file was lost, and deleted the old files.
TEST_F(StoreTest, MissingCurrentFileIsCorruptionAndKeepsTheFiles) {
  ConnectNew();
  ConnectNew();
  Close();
  ASSERT_TRUE(std::filesystem::remove(std::filesystem::path(Path()) / "CURRENT"));
  auto before = ListFiles(Path());
  // LevelDB rewrites its LOG on every open, and a failed open leaves LOCK.
  auto without_log = [](std::vector<std::pair<std::string, uintmax_t>> files) {
    std::erase_if(files, [](const auto& f) { return f.first.starts_with("LOG"); });
    return files;
  };
  const Status s = Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "chain database " + Path() +
                             " is damaged (its CURRENT file is missing); restart with -reindex to "
                             "rebuild it from the stored blocks, or restore it from a backup");
  EXPECT_EQ(chain_, nullptr);
  EXPECT_EQ(without_log(ListFiles(Path())), without_log(before));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(Path()) / "CURRENT"));
}

TEST_F(StoreTest, EmptyDirectoryIsCreated) {
  std::filesystem::create_directories(dir_.Sub("empty"));
  std::unique_ptr<ChainState> other;
  const Status s = ChainState::Open(dir_.Sub("empty"), test::FastOptions(), &other);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(OpenLevelDbTest, DamagedDatabaseIsRefusedAnyStore) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "cc_open_leveldb_damaged";
  std::filesystem::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  {
    std::unique_ptr<leveldb::DB> db;
    ASSERT_TRUE(OpenLevelDb(dir, options, "consensus snapshot", &db).ok());
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "k", "v").ok());
  }
  ASSERT_TRUE(HoldsLevelDbData(dir));
  ASSERT_TRUE(std::filesystem::remove(dir / "CURRENT"));
  std::unique_ptr<leveldb::DB> db;
  const Status s = OpenLevelDb(dir, options, "consensus snapshot", &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "consensus snapshot database " + dir.string() +
                             " is damaged (its CURRENT file is missing); restart with -reindex to "
                             "rebuild it from the stored blocks, or restore it from a backup");
  EXPECT_EQ(db, nullptr);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(HoldsLevelDbData(dir));
}

// A table cut short was found only when a read reached the cut, and then
// as "schema version: <dir>/000005.ldb: Invalid argument" at start-up.
TEST(OpenLevelDbTest, TruncatedTableIsRefusedAtOpenAndNamed) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "cc_open_leveldb_truncated";
  std::filesystem::remove_all(dir);
  leveldb::Options options;
  options.create_if_missing = true;
  {
    std::unique_ptr<leveldb::DB> db;
    ASSERT_TRUE(OpenLevelDb(dir, options, "chain", &db).ok());
    for (int i = 0; i < 100; ++i)
      ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "key" + std::to_string(i), "value").ok());
    db->CompactRange(nullptr, nullptr);  // into a table file
  }
  std::filesystem::path table;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".ldb") table = entry.path();
  ASSERT_FALSE(table.empty());
  const uintmax_t size = std::filesystem::file_size(table);
  {
    std::unique_ptr<leveldb::DB> db;
    EXPECT_TRUE(OpenLevelDb(dir, options, "chain", &db).ok());  // whole: opens
  }
  std::filesystem::resize_file(table, size / 2);
  std::unique_ptr<leveldb::DB> db;
  const Status s = OpenLevelDb(dir, options, "chain", &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(s.message(), "chain database " + dir.string() + " is damaged (its table " +
                             table.filename().string() + " is truncated: " +
                             std::to_string(size / 2) + " of " + std::to_string(size) +
                             " bytes); restart with -reindex to rebuild it from the stored "
                             "blocks, or restore it from a backup");
  EXPECT_EQ(db, nullptr);
  std::filesystem::remove_all(dir);
}

// ---- Corruption: bad bytes written straight into LevelDB.

TEST_F(StoreTest, GarbageBlockDataIsCorruption) {
  const Block genesis = ConnectNew();
  Close();
  RawPut(store::HashKey(store::kBlockPrefix, genesis.Hash()), "\x01\x02garbage");
  ASSERT_TRUE(Open().ok());
  Block block;
  const Status s = chain_->ReadBlock(genesis.Hash(), &block);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(chain_->DisconnectTip(nullptr).IsCorruption());
}

TEST_F(StoreTest, BlockDataUnderWrongKeyIsCorruption) {
  const Block genesis = ConnectNew(0);
  const Block other = gen_.Make(genesis.Hash(), 1, {}, 0);
  Close();
  RawPut(store::HashKey(store::kBlockPrefix, genesis.Hash()), AsString(Serialize(other)));
  ASSERT_TRUE(Open().ok());
  Block block;
  const Status s = chain_->ReadBlock(genesis.Hash(), &block);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("does not match key"), std::string::npos) << s.ToString();
}

TEST_F(StoreTest, TruncatedIndexEntryIsCorruption) {
  const Block genesis = ConnectNew(0);
  const Block side = gen_.Make(genesis.Hash(), 1, {}, 0);
  ASSERT_TRUE(chain_->StoreBlock(side).ok());
  std::string value = RawGet(store::HashKey(store::kIndexPrefix, side.Hash()));
  value.pop_back();
  Close();
  RawPut(store::HashKey(store::kIndexPrefix, side.Hash()), value);
  ASSERT_TRUE(Open().ok());
  BlockHeader header;
  EXPECT_TRUE(chain_->ReadHeader(side.Hash(), &header).IsCorruption());
  EXPECT_FALSE(chain_->HaveBlock(side.Hash()));
  const Status s =
      chain_->store().ForEachIndexEntry([](const BlockIndexEntry&) { return Status::OK(); });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(StoreTest, UnknownStatusBitsAreCorruption) {
  const Block genesis = ConnectNew(0);
  BlockIndexEntry entry;
  ASSERT_TRUE(chain_->ReadIndex(genesis.Hash(), &entry).ok());
  entry.status |= 1u << 9;
  Close();
  RawPut(store::HashKey(store::kIndexPrefix, genesis.Hash()), AsString(Serialize(entry)));
  const Status s = Open();  // the tip's entry is read on open
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(StoreTest, GarbageCoinIsCorruption) {
  const Block genesis = ConnectNew(0);
  const OutPoint op{genesis.txs[0].Txid(), 0};
  Close();
  RawPut(store::CoinKey(op), "\xff");
  ASSERT_TRUE(Open().ok());
  Coin coin;
  EXPECT_TRUE(chain_->GetCoin(op, &coin).IsCorruption());
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(chain_->utxo().SerializeCoins(&bytes).IsCorruption());
  // Disconnecting needs that coin: refused, and nothing changes.
  EXPECT_TRUE(chain_->DisconnectTip(nullptr).IsCorruption());
  Uint256 tip;
  uint32_t height = 0;
  EXPECT_TRUE(chain_->GetTip(&tip, &height).ok());
}

TEST_F(StoreTest, MalformedCoinKeyIsCorruption) {
  ConnectNew(0);
  Close();
  RawPut(std::string(1, store::kCoinPrefix) + "short", "");
  ASSERT_TRUE(Open().ok());
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(chain_->utxo().SerializeCoins(&bytes).IsCorruption());
}

TEST_F(StoreTest, MissingOrGarbageUndoIsCorruptionOnDisconnect) {
  ConnectNew(0);
  const Block tip = ConnectNew(4);
  const std::vector<uint8_t> coins = test::CoinsBytes(*chain_);
  Close();
  RawPut(store::HashKey(store::kUndoPrefix, tip.Hash()), "\x05");
  ASSERT_TRUE(Open().ok());
  BlockUndo undo;
  EXPECT_TRUE(chain_->ReadUndo(tip.Hash(), &undo).IsCorruption());
  EXPECT_TRUE(chain_->DisconnectTip(nullptr).IsCorruption());
  EXPECT_EQ(test::CoinsBytes(*chain_), coins);

  Close();
  RawDelete(store::HashKey(store::kUndoPrefix, tip.Hash()));
  ASSERT_TRUE(Open().ok());
  const Status s = chain_->DisconnectTip(nullptr);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(StoreTest, UndoThatDoesNotFitTheSetIsCorruption) {
  ConnectNew(0);
  const Block tip = ConnectNew(4);
  BlockUndo undo;
  ASSERT_TRUE(chain_->ReadUndo(tip.Hash(), &undo).ok());
  ASSERT_FALSE(undo.txs.empty());
  undo.txs.pop_back();  // decodes fine, but no longer fits the block
  Close();
  RawPut(store::HashKey(store::kUndoPrefix, tip.Hash()), AsString(Serialize(undo)));
  ASSERT_TRUE(Open().ok());
  const Status s = chain_->DisconnectTip(nullptr);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(StoreTest, OpenDetectsTipAndHeightIndexDisagreeing) {
  ConnectNew(0);
  const Block tip = ConnectNew(0);
  Close();
  RawDelete(store::HeightKey(1));
  Status s = Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  RawPut(store::HeightKey(1), AsString(Serialize(tip.Hash())));
  RawPut(store::HeightKey(2), AsString(Serialize(tip.Hash())));
  s = Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("past the tip"), std::string::npos) << s.ToString();

  RawDelete(store::HeightKey(2));
  ASSERT_TRUE(Open().ok());
}

TEST_F(StoreTest, OpenDetectsTipWithoutIndexEntry) {
  ConnectNew(0);
  Close();
  RawPut(std::string(store::kTipKey), AsString(Serialize(test::RandomHash(gen_.rng()))));
  const Status s = Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(StoreTest, OpenRefusesOtherSchemaVersion) {
  Close();
  // Version 1: headers without registry_root and accepted_work.
  RawPut(std::string(store::kVersionKey), AsString(Serialize(uint32_t{1})));
  Status s = Open();
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_NE(s.message().find("move that data directory away or use another -datadir"),
            std::string::npos)
      << s.ToString();

  RawDelete(std::string(store::kVersionKey));
  RawPut("zzz", "left by something else");
  s = Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

}  // namespace
}  // namespace cc
