// Chain benchmarks (Google Benchmark). Run: build/bin/bench_chain

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <leveldb/write_batch.h>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/utxo.h"

namespace cc {
namespace {

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
