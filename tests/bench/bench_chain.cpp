// Chain benchmarks (Google Benchmark). Run: build/bin/bench_chain

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <leveldb/write_batch.h>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/hash.h"
#include "chain/key.h"
#include "chain/merkle.h"
#include "chain/utxo.h"

namespace cc {
namespace {

// ---------------------------------------------------------------------------
// Primitives: SHA-256, Merkle roots and proofs, Schnorr signatures.

constexpr size_t kMiB = 1 << 20;

/// n distinct leaves, SHA-256 of each index.
std::vector<Uint256> BenchLeaves(size_t n) {
  std::vector<Uint256> leaves(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t le[8];
    std::memcpy(le, &i, sizeof(i));
    leaves[i] = Sha256Hash(le);
  }
  return leaves;
}

/// Bytes per second of `openssl speed -evp sha256` on 16 KiB blocks, or 0
/// if openssl is missing or its output cannot be read. Its last line reads
/// "sha256   1493998.64k", in thousands of bytes per second.
double OpenSslSha256BytesPerSecond() {
  FILE* pipe = popen("openssl speed -evp sha256 -bytes 16384 -seconds 1 2>/dev/null", "r");
  if (pipe == nullptr) return 0;
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) out.append(buf, n);
  pclose(pipe);
  const size_t line = out.rfind("\nsha256");
  if (line == std::string::npos) return 0;
  std::istringstream fields(out.substr(line + 1));
  std::string name, kilo;
  fields >> name >> kilo;
  if (kilo.empty() || kilo.back() != 'k') return 0;
  return std::strtod(kilo.c_str(), nullptr) * 1000;
}

/// CPU time of the calling thread: `openssl speed` divides by user CPU time
/// too, so the two rates compare even on a busy machine.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// Sha256Hash over 1 MiB; counter openssl_ratio = our bytes per CPU second
// over openssl's, measured by the openssl binary once, before the timing.
void BM_Sha256_1MiB(benchmark::State& state) {
  static const double openssl = OpenSslSha256BytesPerSecond();
  const std::vector<uint8_t> data(kMiB, 0xa5);
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) benchmark::DoNotOptimize(Sha256Hash(data));
  const double cpu_seconds = ThreadCpuSeconds() - cpu_start;
  const double bytes = static_cast<double>(state.iterations() * kMiB);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (openssl > 0) {
    state.counters["openssl_bytes_per_second"] = openssl;
    state.counters["openssl_ratio"] = bytes / cpu_seconds / openssl;
  } else {
    state.SetLabel("openssl speed unavailable");
  }
}
BENCHMARK(BM_Sha256_1MiB)->Unit(benchmark::kMicrosecond);

// MerkleRoot over Arg leaves; items = leaves.
void BM_MerkleRoot(benchmark::State& state) {
  const std::vector<Uint256> leaves = BenchLeaves(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(MerkleRoot(leaves));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_MerkleRoot)->Arg(1 << 16)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// VerifyMerkleProof in a tree of 2^20 leaves (paths of 20 siblings).
void BM_VerifyMerkleProof_2e20(benchmark::State& state) {
  const std::vector<Uint256> leaves = BenchLeaves(size_t{1} << 20);
  const Uint256 root = MerkleRoot(leaves);
  // A few positions, one of them on the right edge; each costs a full pass
  // over the leaves to build, so not more.
  std::vector<MerkleProof> proofs(4);
  const uint64_t indices[] = {0, 123'457, 777'777, leaves.size() - 1};
  for (size_t i = 0; i < proofs.size(); ++i) {
    if (!MakeMerkleProof(leaves, indices[i], &proofs[i]).ok()) state.SkipWithError("proof");
  }
  size_t k = 0;
  for (auto _ : state) {
    const MerkleProof& p = proofs[k++ % proofs.size()];
    if (!VerifyMerkleProof(leaves[p.leaf_index], p, root)) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyMerkleProof_2e20);

void BM_SchnorrVerify(benchmark::State& state) {
  const PrivateKey key = PrivateKey::Generate();
  const XOnlyPubKeyBytes pub = key.PublicKey();
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("bench"));
  const SchnorrSigBytes sig = key.Sign(msg);
  for (auto _ : state) {
    if (!VerifySchnorr(pub, msg, sig)) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SchnorrVerify);

// Sign includes the self-check (one verification) and 32 bytes of getrandom.
void BM_SchnorrSign(benchmark::State& state) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("bench"));
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(msg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SchnorrSign);

// ---------------------------------------------------------------------------
// Storage: UTXO connect and disconnect of a 2,000-transaction block on
// LevelDB in a temporary directory.

constexpr int kBlockTxs = 2000;
/// Blocks of kBlockTxs coinbase outputs connected first, so that lookups
/// run against a set of realistic size rather than an empty database.
constexpr int kBackgroundBlocks = 20;

TxOut BenchOutput(Amount value, uint64_t salt) {
  TxOut out;
  out.value = value;
  for (int i = 0; i < 8; ++i) out.lock.data()[i] = static_cast<uint8_t>(salt >> (8 * i));
  return out;
}

Block BenchBlock(const Uint256& prev, uint32_t height, std::vector<Transaction> txs) {
  Block block;
  block.header.prev = prev;
  block.header.height = height;
  Transaction coinbase;
  coinbase.lock_height = height;
  for (int i = 0; i < kBlockTxs; ++i) {
    coinbase.outputs.push_back(BenchOutput(kCoin, height * 100000ull + i));
  }
  block.txs.push_back(std::move(coinbase));
  for (Transaction& tx : txs) block.txs.push_back(std::move(tx));
  block.header.tx_root = block.ComputeTxRoot();
  return block;
}

// A chain state holding kBackgroundBlocks blocks, plus a block of kBlockTxs
// transactions (one input, two outputs each) that spends the last of them.
class StorageFixture {
 public:
  explicit StorageFixture(bool sync) {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/cc-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    BlockStoreOptions options;
    options.sync = sync;
    if (!ChainState::Open(dir_ + "/chainstate", options, &chain_).ok()) std::abort();
    Uint256 prev;
    Block last;
    for (int h = 0; h < kBackgroundBlocks; ++h) {
      last = BenchBlock(prev, h, {});
      if (!chain_->ConnectTip(last).ok()) std::abort();
      prev = last.Hash();
    }
    std::vector<Transaction> txs;
    const Uint256 funding = last.txs[0].Txid();
    for (uint32_t i = 0; i < kBlockTxs; ++i) {
      Transaction tx;
      tx.inputs.push_back(TxIn{OutPoint{funding, i}, {}, {}});
      tx.outputs = {BenchOutput(kCoin / 2, i), BenchOutput(kCoin / 2 - 1000, i + 1)};
      txs.push_back(std::move(tx));
    }
    block_ = BenchBlock(prev, kBackgroundBlocks, std::move(txs));
  }
  ~StorageFixture() {
    chain_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  ChainState& chain() { return *chain_; }
  const Block& block() const { return block_; }

 private:
  std::string dir_;
  std::unique_ptr<ChainState> chain_;
  Block block_;
};

// ConnectTip: UTXO changes, undo data, index and tip in one batch. Arg: fsync.
void BM_ConnectTip2000Txs(benchmark::State& state) {
  StorageFixture f(state.range(0) != 0);
  for (auto _ : state) {
    if (!f.chain().ConnectTip(f.block()).ok()) state.SkipWithError("connect failed");
    state.PauseTiming();
    if (!f.chain().DisconnectTip(nullptr).ok()) state.SkipWithError("disconnect failed");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBlockTxs);
}
BENCHMARK(BM_ConnectTip2000Txs)->ArgName("sync")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// DisconnectTip: reads block and undo data, restores the spent coins.
void BM_DisconnectTip2000Txs(benchmark::State& state) {
  StorageFixture f(state.range(0) != 0);
  for (auto _ : state) {
    state.PauseTiming();
    if (!f.chain().ConnectTip(f.block()).ok()) state.SkipWithError("connect failed");
    state.ResumeTiming();
    if (!f.chain().DisconnectTip(nullptr).ok()) state.SkipWithError("disconnect failed");
  }
  state.SetItemsProcessed(state.iterations() * kBlockTxs);
}
BENCHMARK(BM_DisconnectTip2000Txs)->ArgName("sync")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// UtxoSet::ConnectBlock alone: coin lookups, txids and staging, no write.
void BM_UtxoStageConnect2000Txs(benchmark::State& state) {
  StorageFixture f(/*sync=*/false);
  for (auto _ : state) {
    leveldb::WriteBatch batch;
    BlockUndo undo;
    if (!f.chain().utxo().ConnectBlock(f.block(), &undo, &batch).ok()) {
      state.SkipWithError("staging failed");
    }
    benchmark::DoNotOptimize(batch.ApproximateSize());
  }
  state.SetItemsProcessed(state.iterations() * kBlockTxs);
}
BENCHMARK(BM_UtxoStageConnect2000Txs)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cc

BENCHMARK_MAIN();
