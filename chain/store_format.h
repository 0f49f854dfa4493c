// The key layout of the chain state's LevelDB database (internal to chain/).
//
// The table prefixes, key encoders and the LevelDB-to-Status mapping shared
// by block_store.cpp and utxo.cpp. The layout itself is documented once, in
// block_store.h's file comment; keep the two in step.
//
// Integers inside keys are big-endian so that key order is numeric order:
// the 'h' range iterates by height and the 'c' range by (txid, index), which
// is the canonical order of UtxoSet::SerializeCoins.

#ifndef COMPUTECOIN_CHAIN_STORE_FORMAT_H
#define COMPUTECOIN_CHAIN_STORE_FORMAT_H

#include <cstdint>
#include <string>
#include <string_view>

#include <leveldb/slice.h>
#include <leveldb/status.h>

#include "chain/hash.h"
#include "chain/status.h"
#include "chain/transaction.h"
#include "chain/uint256.h"

namespace cc::store {

inline constexpr char kIndexPrefix = 'b';
inline constexpr char kBlockPrefix = 'd';
inline constexpr char kUndoPrefix = 'u';
inline constexpr char kHeightPrefix = 'h';
inline constexpr char kCoinPrefix = 'c';
inline constexpr char kMetaPrefix = 'm';

inline constexpr std::string_view kTipKey = "mtip";
inline constexpr std::string_view kVersionKey = "mversion";
inline constexpr std::string_view kSequenceKey = "mseq";

/// Bumped whenever a table's key or value format changes incompatibly.
inline constexpr uint32_t kSchemaVersion = 2;  // 2: headers with registry_root, accepted_work

/// Size of a 'c' key: prefix + txid + index.
inline constexpr size_t kCoinKeySize = 1 + Uint256::kSize + 4;

/// prefix || hash.
std::string HashKey(char prefix, const Uint256& hash);
/// 'h' || big-endian height.
std::string HeightKey(uint32_t height);
/// 'c' || txid || big-endian index.
std::string CoinKey(const OutPoint& outpoint);
/// Inverse of CoinKey. Returns false if `key` is not a well-formed 'c' key.
[[nodiscard]] bool DecodeCoinKey(std::string_view key, OutPoint* outpoint);

inline leveldb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
inline leveldb::Slice ToSlice(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline ByteSpan ToBytes(const leveldb::Slice& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// Maps a LevelDB status onto ours, keeping the code (NotFound, Corruption,
/// IOError, ...) and prefixing the message with `context`.
Status FromLevelDb(const leveldb::Status& s, std::string_view context);

}  // namespace cc::store

#endif  // COMPUTECOIN_CHAIN_STORE_FORMAT_H
