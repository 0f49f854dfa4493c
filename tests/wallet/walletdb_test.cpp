// The wallet database: records survive reopening, a batch is all or
// nothing across a crash (fork + _exit), a second opener is refused, and
// corrupted or truncated stores are refused with a clear message.

#include "wallet/walletdb.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "chain/hash.h"
#include "tests/util/test_util.h"

namespace cc::wallet {
namespace {

class WalletDbTest : public ::testing::Test {
 protected:
  WalletDbTest() { path_ = dir_ + "/w"; }

  // Creates a database holding the records a fresh wallet has.
  void Create() {
    std::unique_ptr<WalletDatabase> db;
    ASSERT_TRUE(WalletDatabase::Open(path_, /*create=*/true, &db).ok());
    WalletBatch batch(db.get());
    WriteMinimal(&batch);
    ASSERT_TRUE(batch.Commit().ok());
  }
  static void WriteMinimal(WalletBatch* batch) {
    batch->WriteVersion(kWalletDbVersion);
    SeedRecord seed;
    seed.plain.assign(32, 7);
    batch->WriteSeed(seed);
    AccountRecord account;
    account.coin_type = 1;
    batch->WriteAccount(account);
  }
  DBErrors Reload(WalletRecords* records, std::string* error) {
    std::unique_ptr<WalletDatabase> db;
    Status s = WalletDatabase::Open(path_, false, &db);
    if (!s.ok()) {
      *error = s.ToString();
      return DBErrors::kCorrupt;
    }
    return db->Load(records, error);
  }
  // Flips one byte in the middle of every file whose name ends with `ext`.
  void CorruptFiles(const std::string& ext) {
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      if (entry.path().extension() != ext || entry.file_size() < 16) continue;
      std::fstream f(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(entry.file_size() / 2));
      char c = 0;
      f.get(c);
      f.seekp(static_cast<std::streamoff>(entry.file_size() / 2));
      f.put(static_cast<char>(c ^ 0x55));
    }
  }

  test::TempDir tmp_;
  const std::string dir_ = tmp_.path();
  std::string path_;
};

TEST_F(WalletDbTest, RecordsSurviveReopen) {
  Create();
  {
    std::unique_ptr<WalletDatabase> db;
    ASSERT_TRUE(WalletDatabase::Open(path_, false, &db).ok());
    WalletBatch batch(db.get());
    batch.WriteChainIndex(kReceiveChain, 5);
    batch.WriteChainIndex(kChangeChain, 2);
    batch.WriteLabel("rcc1pexample", "savings");
    WalletTx wtx;
    wtx.tx.outputs.push_back(TxOut{5 * kCoin, OutputKind::kPayToKeyHash, Uint256()});
    wtx.tx.lock_height = 9;
    wtx.SetState(TxState::kConfirmed);
    wtx.block_height = 9;
    batch.WriteTx(wtx);
    batch.WriteBestBlock(BestBlockRecord{1, TaggedHash("t", AsBytes("b")), 9});
    ASSERT_TRUE(batch.Commit().ok());
  }
  WalletRecords rec;
  std::string error;
  ASSERT_EQ(Reload(&rec, &error), DBErrors::kLoadOk) << error;
  EXPECT_EQ(rec.version, kWalletDbVersion);
  EXPECT_EQ(rec.chain_next[kReceiveChain], 5u);
  EXPECT_EQ(rec.chain_next[kChangeChain], 2u);
  EXPECT_EQ(rec.labels["rcc1pexample"], "savings");
  ASSERT_EQ(rec.txs.size(), 1u);
  EXPECT_EQ(rec.txs.begin()->second.block_height, 9u);
  ASSERT_TRUE(rec.best_block.has_value());
  EXPECT_EQ(rec.best_block->height, 9u);
  EXPECT_EQ(rec.seed->plain, std::vector<uint8_t>(32, 7));
}

TEST_F(WalletDbTest, CreateRefusesExisting) {
  Create();
  std::unique_ptr<WalletDatabase> db;
  EXPECT_TRUE(WalletDatabase::Open(path_, true, &db).IsInvalidArgument());
}

TEST_F(WalletDbTest, MissingIsNotFound) {
  std::unique_ptr<WalletDatabase> db;
  EXPECT_TRUE(WalletDatabase::Open(dir_ + "/nothing", false, &db).IsNotFound());
}

TEST_F(WalletDbTest, SecondOpenerRefused) {
  Create();
  std::unique_ptr<WalletDatabase> first, second;
  ASSERT_TRUE(WalletDatabase::Open(path_, false, &first).ok());
  const Status s = WalletDatabase::Open(path_, false, &second);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("already in use"), std::string::npos) << s.ToString();
  // Another process is refused too.
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<WalletDatabase> other;
    const Status t = WalletDatabase::Open(path_, false, &other);
    _exit(t.IsIOError() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// A child commits batches and dies without closing the database; the parent
// reopens and finds every committed batch whole.
TEST_F(WalletDbTest, ReopenAfterCrash) {
  Create();
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<WalletDatabase> db;
    if (!WalletDatabase::Open(path_, false, &db).ok()) _exit(2);
    for (uint32_t i = 1; i <= 50; ++i) {
      WalletBatch batch(db.get());
      batch.WriteChainIndex(kReceiveChain, i);
      batch.WriteLabel("addr" + std::to_string(i), "label" + std::to_string(i));
      if (!batch.Commit().ok()) _exit(3);
    }
    _exit(0);  // no destructor, no clean close
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  WalletRecords rec;
  std::string error;
  ASSERT_EQ(Reload(&rec, &error), DBErrors::kLoadOk) << error;
  EXPECT_EQ(rec.chain_next[kReceiveChain], 50u);
  EXPECT_EQ(rec.labels.size(), 50u);
}

TEST_F(WalletDbTest, CorruptedLogRefused) {
  Create();
  CorruptFiles(".log");
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(Reload(&rec, &error), DBErrors::kCorrupt);
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
}

TEST_F(WalletDbTest, CorruptedTableRefused) {
  Create();
  {
    std::unique_ptr<WalletDatabase> db;
    ASSERT_TRUE(WalletDatabase::Open(path_, false, &db).ok());
    db->Compact();  // moves the records into a table file
  }
  CorruptFiles(".ldb");
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(Reload(&rec, &error), DBErrors::kCorrupt);
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
}

TEST_F(WalletDbTest, TruncatedStoreRefused) {
  Create();
  std::filesystem::remove(path_ + "/CURRENT");
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(Reload(&rec, &error), DBErrors::kCorrupt);
  EXPECT_NE(error.find("is corrupted"), std::string::npos) << error;
}

TEST_F(WalletDbTest, BadRecordNamesItsKey) {
  Create();
  {
    std::unique_ptr<WalletDatabase> db;
    ASSERT_TRUE(WalletDatabase::Open(path_, false, &db).ok());
    WalletBatch batch(db.get());
    SeedRecord bad;
    bad.version = 99;  // a record version this program does not know
    batch.WriteSeed(bad);
    ASSERT_TRUE(batch.Commit().ok());
  }
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(Reload(&rec, &error), DBErrors::kCorrupt);
  EXPECT_EQ(error, "corrupt record hdseed: unknown version");
}

TEST_F(WalletDbTest, TooNewRefused) {
  Create();
  {
    std::unique_ptr<WalletDatabase> db;
    ASSERT_TRUE(WalletDatabase::Open(path_, false, &db).ok());
    WalletBatch batch(db.get());
    batch.WriteVersion(kWalletDbVersion + 1);
    ASSERT_TRUE(batch.Commit().ok());
  }
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(Reload(&rec, &error), DBErrors::kTooNew);
}

TEST_F(WalletDbTest, BackupIsAnOpenableCopy) {
  Create();
  std::unique_ptr<WalletDatabase> db;
  ASSERT_TRUE(WalletDatabase::Open(path_, false, &db).ok());
  ASSERT_TRUE(db->Backup(dir_ + "/backup").ok());
  EXPECT_TRUE(db->Backup(dir_ + "/backup").IsInvalidArgument());
  std::unique_ptr<WalletDatabase> copy;
  ASSERT_TRUE(WalletDatabase::Open(dir_ + "/backup", false, &copy).ok());
  WalletRecords rec;
  std::string error;
  EXPECT_EQ(copy->Load(&rec, &error), DBErrors::kLoadOk) << error;
  EXPECT_EQ(rec.seed->plain, std::vector<uint8_t>(32, 7));
}

TEST(DBErrorsTest, OrderedBySeverity) {
  EXPECT_LT(DBErrors::kLoadOk, DBErrors::kNoncriticalError);
  EXPECT_LT(DBErrors::kNoncriticalError, DBErrors::kTooNew);
  EXPECT_LT(DBErrors::kTooNew, DBErrors::kLoadFail);
  EXPECT_LT(DBErrors::kLoadFail, DBErrors::kCorrupt);
}

}  // namespace
}  // namespace cc::wallet
