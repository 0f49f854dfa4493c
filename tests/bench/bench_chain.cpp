// Chain benchmarks (Google Benchmark). Run: build/bin/bench_chain

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
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
#include "chain/channel.h"
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

// ---------------------------------------------------------------------------
// Merkle trees against raw SHA-256 (issue 12 §3).
//
// The reference for each Merkle row is the number of SHA-256 compressions
// (64-byte blocks) the operation cannot do without, timed in the same
// iteration: a leaf hash (33-byte message) is 1 block, an inner node (65
// bytes) 2, the head (41 bytes) 1. We count blocks rather than 65-byte
// hashes through a reused hasher because blocks are the floor: no SHA-256
// code hashes 65 bytes in fewer than two compressions, and a reused object
// only adds its buffering on top. Two references, as counters on each row:
//   vs_compress  the same count of Sha256Compress calls (Crypto++
//                SHA256::Transform, one block per call; SHA-NI here);
//   vs_stream    the same count of blocks hashed as one long message
//                (Crypto++'s multi-block loop, as in BM_Sha256_1MiB);
// each the reference's thread CPU time over the Merkle operation's, so 1.0
// is Merkle hashing at raw SHA-256 speed and other jobs slow neither side.

/// Blocks compressed by MerkleRoot of n >= 1 leaves: n leaves, n - 1 inner
/// nodes, the head.
uint64_t RootBlocks(uint64_t n) { return 3 * n - 1; }
/// By MakeMerkleProof: each of the `depth` siblings is the tree hash of a
/// subtree of m leaves (3m - 2 blocks), and the subtrees hold n - 1 leaves.
uint64_t ProofBlocks(uint64_t n, uint64_t depth) { return 3 * (n - 1) - 2 * depth; }
/// By VerifyMerkleProof: the leaf, one inner node per level, the head.
uint64_t VerifyBlocks(uint64_t depth) { return 2 * depth + 2; }

/// Thread CPU seconds spent on the references, summed over iterations.
struct RawSeconds {
  double compress = 0;
  double stream = 0;
};

/// Times `blocks` compressions both ways and adds the seconds to *out.
void TimeRawSha256(uint64_t blocks, RawSeconds* out) {
  Sha256State chain = kSha256InitialState;
  Sha256Block block = {};
  double start = ThreadCpuSeconds();
  for (uint64_t i = 0; i < blocks; ++i) {
    block.w[0] = static_cast<uint32_t>(i);
    Sha256Compress(&chain, block);
  }
  benchmark::DoNotOptimize(chain);
  out->compress += ThreadCpuSeconds() - start;

  // 64·blocks - 9 message bytes pad to exactly `blocks` blocks.
  static const std::vector<uint8_t> chunk(kMiB, 0x5a);
  start = ThreadCpuSeconds();
  Sha256 hasher;
  for (uint64_t left = 64 * blocks - 9; left > 0;) {
    const size_t n = std::min<uint64_t>(left, kMiB);
    hasher.Write(ByteSpan(chunk).first(n));
    left -= n;
  }
  benchmark::DoNotOptimize(hasher.Finalize());
  out->stream += ThreadCpuSeconds() - start;
}

void SetRawCounters(benchmark::State& state, uint64_t blocks_per_item, double merkle_seconds,
                    const RawSeconds& raw) {
  state.counters["blocks_per_item"] = static_cast<double>(blocks_per_item);
  state.counters["vs_compress"] = raw.compress / merkle_seconds;
  state.counters["vs_stream"] = raw.stream / merkle_seconds;
}

// The raw reference on its own: Sha256Compress calls; items = blocks.
void BM_Sha256Compress(benchmark::State& state) {
  Sha256State chain = kSha256InitialState;
  Sha256Block block = {};
  for (auto _ : state) {
    ++block.w[0];
    Sha256Compress(&chain, block);
  }
  benchmark::DoNotOptimize(chain);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256Compress);

// MerkleRoot over Arg leaves; items = leaves.
void BM_MerkleRoot(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::vector<Uint256> leaves = BenchLeaves(n);
  double merkle = 0;
  RawSeconds raw;
  for (auto _ : state) {
    const double start = ThreadCpuSeconds();
    benchmark::DoNotOptimize(MerkleRoot(leaves));
    merkle += ThreadCpuSeconds() - start;
    state.PauseTiming();
    TimeRawSha256(RootBlocks(n), &raw);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  SetRawCounters(state, RootBlocks(n), merkle, raw);
}
BENCHMARK(BM_MerkleRoot)->Arg(1 << 16)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// MakeMerkleProof for a leaf a third of the way into Arg leaves; items = proofs.
void BM_MakeMerkleProof(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const std::vector<Uint256> leaves = BenchLeaves(n);
  MerkleProof proof;
  double merkle = 0;
  RawSeconds raw;
  for (auto _ : state) {
    const double start = ThreadCpuSeconds();
    if (!MakeMerkleProof(leaves, n / 3, &proof).ok()) state.SkipWithError("proof");
    merkle += ThreadCpuSeconds() - start;
    state.PauseTiming();
    TimeRawSha256(ProofBlocks(n, proof.path.size()), &raw);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
  SetRawCounters(state, ProofBlocks(n, proof.path.size()), merkle, raw);
}
BENCHMARK(BM_MakeMerkleProof)->Arg(1 << 16)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// VerifyMerkleProof in a tree of 2^20 leaves (paths of 20 siblings), timed
// in batches so that the reference runs between them; items = proofs.
void BM_VerifyMerkleProof_2e20(benchmark::State& state) {
  constexpr int kBatch = 1000;
  const std::vector<Uint256> leaves = BenchLeaves(size_t{1} << 20);
  const Uint256 root = MerkleRoot(leaves);
  // A few positions, one of them on the right edge; each costs a full pass
  // over the leaves to build, so not more. All have 20 siblings.
  std::vector<MerkleProof> proofs(4);
  const uint64_t indices[] = {0, 123'457, 777'777, leaves.size() - 1};
  for (size_t i = 0; i < proofs.size(); ++i) {
    if (!MakeMerkleProof(leaves, indices[i], &proofs[i]).ok()) state.SkipWithError("proof");
  }
  const uint64_t blocks = VerifyBlocks(proofs[0].path.size());
  double merkle = 0;
  RawSeconds raw;
  for (auto _ : state) {
    const double start = ThreadCpuSeconds();
    for (int k = 0; k < kBatch; ++k) {
      const MerkleProof& p = proofs[k % proofs.size()];
      if (!VerifyMerkleProof(leaves[p.leaf_index], p, root)) state.SkipWithError("verify failed");
    }
    merkle += ThreadCpuSeconds() - start;
    state.PauseTiming();
    TimeRawSha256(kBatch * blocks, &raw);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  SetRawCounters(state, blocks, merkle, raw);
}
BENCHMARK(BM_VerifyMerkleProof_2e20)->Unit(benchmark::kMillisecond);

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
// Payment channel updates (chain/channel.h): what one off-chain payment costs
// the client (build the settlement, hash it, sign) and the holder (the same
// settlement and hash, verify). Compare with BM_SchnorrSign/BM_SchnorrVerify
// of the same run: the rest is the settlement's construction and hashing.

Channel BenchChannel(const PrivateKey& client, const PrivateKey& holder) {
  Channel channel;
  channel.funding = {Sha256Hash(AsBytes(std::string_view("funding"))), 0};
  channel.capacity = 10 * kCoin;
  channel.terms = {client.PublicKey(), holder.PublicKey(), 1000};
  channel.close_fee = 1000;
  return channel;
}

void BM_ChannelUpdateSign(benchmark::State& state) {
  const PrivateKey client = PrivateKey::Generate();
  const Channel channel = BenchChannel(client, PrivateKey::Generate());
  const Uint256 root = Sha256Hash(AsBytes(std::string_view("receipts")));
  Amount paid = 0;
  for (auto _ : state) {
    Uint256 sighash;
    if (!UpdateSighash(channel, ++paid, root, &sighash).ok()) state.SkipWithError("sighash");
    ChannelUpdate update{channel.funding, paid, root, client.Sign(sighash)};
    benchmark::DoNotOptimize(update);
  }
}
BENCHMARK(BM_ChannelUpdateSign);

void BM_ChannelUpdateVerify(benchmark::State& state) {
  const PrivateKey client = PrivateKey::Generate();
  const Channel channel = BenchChannel(client, PrivateKey::Generate());
  const Uint256 root = Sha256Hash(AsBytes(std::string_view("receipts")));
  Uint256 sighash;
  if (!UpdateSighash(channel, 5000, root, &sighash).ok()) state.SkipWithError("sighash");
  const ChannelUpdate update{channel.funding, 5000, root, client.Sign(sighash)};
  for (auto _ : state) {
    ValidationState result;
    if (!CheckUpdate(channel, update, 4999, &result)) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ChannelUpdateVerify);

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
