#include "compute/tensor_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chain/logging.h"

namespace cc::compute {
namespace {

namespace fs = std::filesystem;

class TensorStoreTest : public ::testing::Test {
 protected:
  TensorStoreTest() {
    dir_ = (fs::temp_directory_path() /
            ("cc_tensor_store_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
    Reopen();
  }
  ~TensorStoreTest() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  void Reopen() {
    store_.reset();
    TensorStoreOptions options;
    options.sync = false;  // durability is not under test; crash-shaped files are made by hand
    const Status s = TensorStore::Open(dir_, options, &store_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A small distinct tensor per `seed`.
  static EncodedTensor Tensor(int seed) {
    std::vector<float> v(6);
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = static_cast<float>(seed) + 0.25f * static_cast<float>(i);
    return EncodeFloats(v, std::vector<uint64_t>{2, 3}, Codec::kFloat32);
  }

  Uint256 Put(const EncodedTensor& t, uint64_t step) {
    Uint256 hash;
    const Status s = store_->Put(t, step, &hash);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return hash;
  }

  std::string FileOf(const Uint256& hash) const {
    const std::string hex = hash.ToHex();
    return dir_ + "/" + hex.substr(0, 2) + "/" + hex.substr(2, 2) + "/" + hex;
  }

  void FlipByte(const Uint256& hash, long offset_from_end) {
    std::fstream f(FileOf(hash), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-offset_from_end, std::ios::end);
    const char c = static_cast<char>(f.get());
    f.seekp(-offset_from_end, std::ios::end);
    f.put(static_cast<char>(c ^ 0x01));
  }

  std::string dir_;
  std::unique_ptr<TensorStore> store_;
};

TEST_F(TensorStoreTest, PutGetHas) {
  const EncodedTensor t = Tensor(1);
  EXPECT_FALSE(store_->Has(t.Hash()));
  const Uint256 hash = Put(t, 3);
  EXPECT_EQ(hash, t.Hash());
  EXPECT_TRUE(store_->Has(hash));
  EXPECT_TRUE(fs::exists(FileOf(hash)));
  EncodedTensor back;
  ASSERT_TRUE(store_->Get(hash, &back).ok());
  EXPECT_EQ(back, t);
  uint64_t step = 0;
  ASSERT_TRUE(store_->GetStep(hash, &step).ok());
  EXPECT_EQ(step, 3u);
}

// PutHashed trusts the caller's id (a recomputed output already matched to
// its record): the tensor is stored under it, and a wrong id is caught when
// the tensor is read, never returned as data.
TEST_F(TensorStoreTest, PutHashedStoresUnderTheGivenIdAndAWrongIdIsCaughtOnRead) {
  const EncodedTensor t = Tensor(1);
  ASSERT_TRUE(store_->PutHashed(t, t.Hash(), 4).ok());
  EncodedTensor back;
  ASSERT_TRUE(store_->Get(t.Hash(), &back).ok());
  EXPECT_EQ(back, t);
  uint64_t step = 0;
  ASSERT_TRUE(store_->GetStep(t.Hash(), &step).ok());
  EXPECT_EQ(step, 4u);

  const Uint256 wrong = Tensor(2).Hash();
  ASSERT_TRUE(store_->PutHashed(t, wrong, 4).ok());
  const Status s = store_->Get(wrong, &back);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_FALSE(store_->Has(wrong));

  EncodedTensor malformed = Tensor(3);
  malformed.payload.pop_back();
  EXPECT_EQ(store_->PutHashed(malformed, malformed.Hash(), 0).message(),
            "bad-tensor-payload-length");
}

TEST_F(TensorStoreTest, MissingTensorIsNotFound) {
  EncodedTensor t;
  EXPECT_TRUE(store_->Get(Tensor(9).Hash(), &t).IsNotFound());
  uint64_t step = 0;
  EXPECT_TRUE(store_->GetStep(Tensor(9).Hash(), &step).IsNotFound());
}

TEST_F(TensorStoreTest, PutIsIdempotentAndOnlyRaisesTheStep) {
  const EncodedTensor t = Tensor(1);
  const Uint256 hash = Put(t, 5);
  const uint64_t bytes = store_->Bytes();
  Put(t, 2);
  uint64_t step = 0;
  ASSERT_TRUE(store_->GetStep(hash, &step).ok());
  EXPECT_EQ(step, 5u);
  Put(t, 8);
  ASSERT_TRUE(store_->GetStep(hash, &step).ok());
  EXPECT_EQ(step, 8u);
  EXPECT_EQ(store_->Count(), 1u);
  EXPECT_EQ(store_->Bytes(), bytes);
}

// A Put asked not to sync, made durable later (the record outputs a block
// comes to depend on): Sync reaches the file itself, so a file gone behind
// the store's back is an error, and a tensor never stored is NotFound.
TEST_F(TensorStoreTest, UnsyncedPutIsSyncedLater) {
  store_.reset();
  TensorStoreOptions options;
  options.sync = true;
  ASSERT_TRUE(TensorStore::Open(dir_, options, &store_).ok());
  Uint256 hash;
  ASSERT_TRUE(store_->Put(Tensor(1), 3, &hash, /*sync=*/false).ok());
  EXPECT_TRUE(store_->Has(hash));
  EXPECT_TRUE(store_->Sync(hash).ok());
  EXPECT_TRUE(store_->Put(Tensor(1), 3, nullptr, /*sync=*/true).ok());  // stored: synced in place
  EXPECT_TRUE(store_->Sync(Tensor(2).Hash()).IsNotFound());
  fs::remove(FileOf(hash));
  EXPECT_TRUE(store_->Sync(hash).IsIOError());
  // With Options::sync off nothing is ever fsynced: Sync only checks the index.
  Reopen();
  const Uint256 other = Put(Tensor(3), 1);
  EXPECT_TRUE(store_->Sync(other).ok());
  EXPECT_TRUE(store_->Sync(Tensor(4).Hash()).IsNotFound());
}

TEST_F(TensorStoreTest, RejectsMalformedTensor) {
  EncodedTensor t = Tensor(1);
  t.payload.pop_back();
  Uint256 hash;
  const Status s = store_->Put(t, 0, &hash);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.message(), "bad-tensor-payload-length");
  EXPECT_EQ(store_->Count(), 0u);
}

TEST_F(TensorStoreTest, DetectsAFlippedPayloadByte) {
  const Uint256 hash = Put(Tensor(1), 0);
  FlipByte(hash, 1);
  EncodedTensor t;
  const Status s = store_->Get(hash, &t);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("content does not match its hash"), std::string::npos) << s.message();
  // The damaged copy is gone, so a good one can be stored again.
  EXPECT_FALSE(store_->Has(hash));
  EXPECT_FALSE(fs::exists(FileOf(hash)));
  Put(Tensor(1), 0);
  EXPECT_TRUE(store_->Get(hash, &t).ok());
}

// Callers treat a damaged file as missing and fetch the tensor again, so
// only the log tells the operator that the disk returned bad bytes.
TEST_F(TensorStoreTest, ADamagedFileIsReportedInTheLog) {
  const fs::path log = fs::path(dir_).parent_path() / (fs::path(dir_).filename().string() + ".log");
  ASSERT_TRUE(GetLogger().OpenFile(log).ok());
  const Uint256 hash = Put(Tensor(1), 0);
  FlipByte(hash, 1);
  EncodedTensor t;
  EXPECT_TRUE(store_->Get(hash, &t).IsCorruption());
  GetLogger().Close();
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  fs::remove(log);
  EXPECT_NE(text.find("TensorStore: " + FileOf(hash) +
                      " is damaged (content does not match its hash); removed"),
            std::string::npos)
      << text;
}

TEST_F(TensorStoreTest, DetectsADamagedHeader) {
  const Uint256 hash = Put(Tensor(1), 0);
  const uintmax_t size = fs::file_size(FileOf(hash));
  FlipByte(hash, static_cast<long>(size));  // the magic's first byte
  EncodedTensor t;
  const Status s = store_->Get(hash, &t);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("bad file header"), std::string::npos) << s.message();
}

TEST_F(TensorStoreTest, DetectsATruncatedFile) {
  const Uint256 hash = Put(Tensor(1), 0);
  fs::resize_file(FileOf(hash), fs::file_size(FileOf(hash)) - 3);
  EncodedTensor t;
  EXPECT_TRUE(store_->Get(hash, &t).IsCorruption());
}

TEST_F(TensorStoreTest, SurvivesReopen) {
  const Uint256 a = Put(Tensor(1), 4);
  const Uint256 b = Put(Tensor(2), 7);
  const uint64_t bytes = store_->Bytes();
  Reopen();
  EXPECT_EQ(store_->Count(), 2u);
  EXPECT_EQ(store_->Bytes(), bytes);
  EncodedTensor t;
  ASSERT_TRUE(store_->Get(a, &t).ok());
  EXPECT_EQ(t, Tensor(1));
  uint64_t step = 0;
  ASSERT_TRUE(store_->GetStep(b, &step).ok());
  EXPECT_EQ(step, 7u);
}

TEST_F(TensorStoreTest, ReopenRemovesInterruptedWritesAndReplacesEmptyFiles) {
  const Uint256 a = Put(Tensor(1), 4);
  const Uint256 b = Tensor(2).Hash();
  // A crash mid-Put leaves a temporary file; with sync off, a crash after
  // the rename may leave an empty file under the final name.
  const std::string temp = FileOf(a) + ".tmp.99";
  std::ofstream(temp) << "partial";
  fs::create_directories(fs::path(FileOf(b)).parent_path());
  std::ofstream(FileOf(b)).close();
  Reopen();
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(store_->Count(), 2u);
  EXPECT_TRUE(store_->Has(b));
  Put(Tensor(2), 0);  // replaces the damaged file although its step is not higher
  EncodedTensor t;
  ASSERT_TRUE(store_->Get(b, &t).ok());
  EXPECT_EQ(t, Tensor(2));
}

TEST_F(TensorStoreTest, IgnoresForeignFiles) {
  fs::create_directories(dir_ + "/ab/cd");
  std::ofstream(dir_ + "/ab/cd/notes.txt") << "hello";
  std::ofstream(dir_ + "/README") << "hello";
  Reopen();
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_TRUE(fs::exists(dir_ + "/ab/cd/notes.txt"));
}

TEST_F(TensorStoreTest, SecondOpenOfTheSameDirectoryFails) {
  std::unique_ptr<TensorStore> other;
  const Status s = TensorStore::Open(dir_, &other);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
  EXPECT_EQ(other, nullptr);
}

TEST_F(TensorStoreTest, PruneKeepsRecentStepsAndPinnedTensors) {
  // Steps 0..9, one tensor each; the state tensor from step 1 is still current
  // and a non-final block references the step-3 tensor.
  std::vector<Uint256> hashes;
  for (int step = 0; step < 10; ++step)
    hashes.push_back(Put(Tensor(step), static_cast<uint64_t>(step)));
  const std::set<Uint256> keep_always = {hashes[1], hashes[3]};
  const uint64_t bytes_before = store_->Bytes();

  PruneStats stats;
  ASSERT_TRUE(store_->Prune(/*oldest_step_to_keep=*/7, keep_always, &stats).ok());
  EXPECT_EQ(stats.removed, 5u);  // steps 0, 2, 4, 5, 6
  EXPECT_EQ(stats.kept, 5u);     // steps 1, 3, 7, 8, 9
  EXPECT_EQ(stats.bytes_freed, bytes_before - store_->Bytes());
  EXPECT_GT(stats.bytes_freed, 0u);
  for (int step = 0; step < 10; ++step) {
    const bool kept = step >= 7 || step == 1 || step == 3;
    EXPECT_EQ(store_->Has(hashes[static_cast<size_t>(step)]), kept) << step;
    EXPECT_EQ(fs::exists(FileOf(hashes[static_cast<size_t>(step)])), kept) << step;
  }
  Reopen();
  EXPECT_EQ(store_->Count(), 5u);
}

TEST_F(TensorStoreTest, RePutAtALaterStepProtectsFromPrune) {
  const Uint256 hash = Put(Tensor(1), 1);
  Put(Tensor(1), 6);
  ASSERT_TRUE(store_->Prune(5, {}, nullptr).ok());
  EXPECT_TRUE(store_->Has(hash));
  Reopen();  // the raised step is on disk too
  ASSERT_TRUE(store_->Prune(5, {}, nullptr).ok());
  EXPECT_TRUE(store_->Has(hash));
}

TEST_F(TensorStoreTest, ConcurrentPutsAndGets) {
  constexpr int kThreads = 4, kPerThread = 12;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([this, i] {
      for (int j = 0; j < kPerThread; ++j) {
        // Every thread also writes tensor j, so the same hash races.
        for (const EncodedTensor& t : {Tensor(1000 * (i + 1) + j), Tensor(j)}) {
          Uint256 hash;
          ASSERT_TRUE(store_->Put(t, static_cast<uint64_t>(j), &hash).ok());
          EncodedTensor back;
          ASSERT_TRUE(store_->Get(hash, &back).ok());
          ASSERT_EQ(back, t);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store_->Count(), static_cast<uint64_t>(kThreads * kPerThread + kPerThread));
}

}  // namespace
}  // namespace cc::compute
