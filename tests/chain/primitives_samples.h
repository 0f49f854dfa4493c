// Deterministic sample values of the chain primitives, shared by the
// primitives tests (serialize, transaction, block). Every field is non-zero
// and distinct, so a codec that drops or swaps a field changes the bytes.

#ifndef COMPUTECOIN_TESTS_CHAIN_PRIMITIVES_SAMPLES_H
#define COMPUTECOIN_TESTS_CHAIN_PRIMITIVES_SAMPLES_H

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/hex.h"
#include "chain/merkle.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/work.h"

namespace cc::test {

/// A Uint256 whose bytes are seed, seed+1, ... (mod 256).
inline Uint256 SampleHash(uint8_t seed) {
  std::array<uint8_t, 32> bytes;
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(seed + i);
  return Uint256(bytes);
}

template <size_t N>
std::array<uint8_t, N> SampleBytes(uint8_t seed) {
  std::array<uint8_t, N> bytes;
  for (size_t i = 0; i < N; ++i) bytes[i] = static_cast<uint8_t>(seed + 3 * i);
  return bytes;
}

inline OutPoint SampleOutPoint(uint8_t seed = 1) { return {SampleHash(seed), 0x01020304u + seed}; }

inline TxIn SampleTxIn(uint8_t seed = 1) {
  return {SampleOutPoint(seed), SampleBytes<32>(seed + 40), SampleBytes<64>(seed + 80)};
}

inline TxOut SampleTxOut(uint8_t seed = 1, OutputKind kind = OutputKind::kPayToKeyHash) {
  return {int64_t{5} * kCoin + seed, kind, SampleHash(seed + 120)};
}

inline Transaction SampleTransaction(uint8_t seed = 1) {
  Transaction tx;
  tx.version = 2;
  tx.inputs = {SampleTxIn(seed), SampleTxIn(seed + 1)};
  tx.outputs = {SampleTxOut(seed), SampleTxOut(seed + 1, OutputKind::kWorkerBond)};
  tx.lock_height = 77;
  return tx;
}

inline ChannelTerms SampleChannelTerms(uint8_t seed = 1) {
  return {SampleBytes<32>(seed + 20), SampleBytes<32>(seed + 50), 0x00012345u + seed};
}

inline ChannelSpend SampleChannelSpend(uint8_t seed = 1) {
  return {1, SampleBytes<32>(seed + 50), 0x00012345u + seed, ChannelClose::kCooperative,
          SampleBytes<64>(seed + 90)};
}

inline UnitId SampleUnitId() { return {UnitKind::kAttention, 0x0102030405060708, 2, 3, 4, 5, 6}; }

inline WorkRecord SampleWorkRecord(uint8_t seed = 1) {
  WorkRecord record;
  record.unit = SampleUnitId();
  record.unit.step += seed;
  record.inputs = {SampleHash(seed + 10), SampleHash(seed + 11)};
  record.outputs = {SampleHash(seed + 12)};
  record.loss = 2.5f;
  record.worker = SampleBytes<32>(seed + 13);
  record.signature = SampleBytes<64>(seed + 14);
  return record;
}

inline BlockHeader SampleHeader() {
  BlockHeader header;
  header.version = 3;
  header.height = 1000;
  header.prev = SampleHash(1);
  header.tx_root = SampleHash(2);
  header.work_root = SampleHash(3);
  header.state_root = SampleHash(4);
  header.time = 1'700'000'000;
  header.producer = SampleBytes<32>(5);
  header.signature = SampleBytes<64>(6);
  return header;
}

inline Block SampleBlock() {
  Block block;
  block.header = SampleHeader();
  block.txs = {SampleTransaction(1), SampleTransaction(2)};
  block.records = {SampleWorkRecord(1), SampleWorkRecord(2), SampleWorkRecord(3)};
  return block;
}

inline MerkleProof SampleMerkleProof() { return {5, 11, {SampleHash(1), SampleHash(2)}}; }

/// Lower-case hex of a byte string.
inline std::string Hex(const std::vector<uint8_t>& bytes) { return HexStr(bytes); }

/// Bytes of a hex string. REQUIRES: even length, hex digits only.
inline std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  if (!ParseHex(hex, &out)) throw std::invalid_argument("not hex: " + hex);
  return out;
}

}  // namespace cc::test

#endif  // COMPUTECOIN_TESTS_CHAIN_PRIMITIVES_SAMPLES_H
