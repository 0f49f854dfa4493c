// Helpers shared by the storage tests (store, utxo, mempool, crash): a
// generator of random blocks that are valid for
// the UTXO set (they spend only coins it holds), built on real types.

#ifndef COMPUTECOIN_TESTS_CHAIN_STORE_TEST_UTIL_H
#define COMPUTECOIN_TESTS_CHAIN_STORE_TEST_UTIL_H

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain/block.h"
#include "chain/chain_state.h"
#include "chain/coins.h"
#include "chain/status.h"
#include "chain/utxo.h"
#include "tests/util/test_util.h"

namespace cc::test {

/// Options for test databases: no fsync, since a test process crashing is
/// covered by LevelDB's log either way (see BlockStoreOptions::sync).
inline BlockStoreOptions FastOptions() {
  BlockStoreOptions o;
  o.sync = false;
  o.cache_bytes = 1 << 20;
  return o;
}

inline Uint256 RandomHash(std::mt19937_64& rng) {
  Uint256 h;
  for (size_t i = 0; i < Uint256::kSize; i += 8) {
    const uint64_t v = rng();
    for (size_t j = 0; j < 8; ++j) h.data()[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return h;
}

using CoinList = std::vector<std::pair<OutPoint, Coin>>;

/// Every coin of `utxo`, in canonical order.
inline Status AllCoins(const UtxoSet& utxo, CoinList* coins) {
  coins->clear();
  return utxo.ForEachCoin([coins](const OutPoint& op, const Coin& coin) {
    coins->emplace_back(op, coin);
    return Status::OK();
  });
}

/// Generates random blocks. Each block has a coinbase (lock_height = height,
/// 1-3 outputs) and up to `max_txs` transactions that each spend 1-3 random
/// coins of `spendable` or of earlier transactions in the same block, and
/// pay 1-3 outputs worth less than their inputs. Signatures are left zero:
/// the UTXO set does not check them.
class BlockGenerator {
 public:
  explicit BlockGenerator(uint64_t seed) : rng_(seed) {}

  Block Make(const Uint256& prev, uint32_t height, CoinList spendable, int max_txs) {
    Block block;
    block.header.height = height;
    block.header.prev = prev;
    block.header.time = 1'700'000'000 + height;
    // Distinguishes sibling blocks of different branches at the same height.
    block.header.state_root = RandomHash(rng_);

    Transaction coinbase;
    coinbase.lock_height = height;
    const int coinbase_outputs = 1 + static_cast<int>(rng_() % 3);
    for (int i = 0; i < coinbase_outputs; ++i) {
      coinbase.outputs.push_back(RandomOutput(1 + static_cast<Amount>(rng_() % (50 * kCoin))));
    }
    block.txs.push_back(coinbase);
    AddOutputs(coinbase, height, &spendable);

    for (int t = 0; t < max_txs && !spendable.empty(); ++t) {
      Transaction tx;
      Amount in_value = 0;
      const size_t num_inputs = 1 + rng_() % std::min<size_t>(3, spendable.size());
      for (size_t i = 0; i < num_inputs; ++i) {
        const size_t pick = rng_() % spendable.size();
        TxIn in;
        in.prevout = spendable[pick].first;
        in.pubkey[0] = static_cast<uint8_t>(rng_());
        tx.inputs.push_back(in);
        in_value += spendable[pick].second.out.value;
        std::swap(spendable[pick], spendable.back());
        spendable.pop_back();
      }
      const int num_outputs = 1 + static_cast<int>(rng_() % 3);
      for (int i = 0; i < num_outputs; ++i) {
        tx.outputs.push_back(RandomOutput(in_value / (num_outputs + 1)));
      }
      block.txs.push_back(tx);
      AddOutputs(tx, height, &spendable);
    }
    block.header.tx_root = block.ComputeTxRoot();
    return block;
  }

  /// A block on the current tip of `chain` (genesis if it is empty).
  /// Aborts if the UTXO set cannot be read (the crash test's child has no
  /// test to fail).
  Block MakeNext(const ChainState& chain, int max_txs) {
    Uint256 tip;
    uint32_t height = 0;
    const bool empty = chain.GetTip(&tip, &height).IsNotFound();
    CoinList coins;
    if (!AllCoins(chain.utxo(), &coins).ok()) std::abort();
    return Make(empty ? Uint256() : tip, empty ? 0 : height + 1, std::move(coins), max_txs);
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  TxOut RandomOutput(Amount value) {
    TxOut out;
    out.value = value;
    out.lock = RandomHash(rng_);
    return out;
  }

  static void AddOutputs(const Transaction& tx, uint32_t height, CoinList* spendable) {
    const Uint256 txid = tx.Txid();
    for (uint32_t i = 0; i < tx.outputs.size(); ++i) {
      spendable->emplace_back(OutPoint{txid, i}, Coin{tx.outputs[i], height, tx.IsCoinbase()});
    }
  }

  std::mt19937_64 rng_;
};

/// The canonical encoding of the chain's UTXO set. A scan error fails the
/// calling test.
inline std::vector<uint8_t> CoinsBytes(const ChainState& chain) {
  std::vector<uint8_t> bytes;
  const Status s = chain.utxo().SerializeCoins(&bytes);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return bytes;
}

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_CHAIN_STORE_TEST_UTIL_H
