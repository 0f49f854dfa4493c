#include "chain/store_format.h"

#include <cstring>

namespace cc::store {
namespace {

void AppendBigEndian32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift & 0xff));
}

}  // namespace

std::string HashKey(char prefix, const Uint256& hash) {
  std::string key(1, prefix);
  key.append(reinterpret_cast<const char*>(hash.data()), Uint256::kSize);
  return key;
}

std::string HeightKey(uint32_t height) {
  std::string key(1, kHeightPrefix);
  AppendBigEndian32(&key, height);
  return key;
}

std::string CoinKey(const OutPoint& outpoint) {
  std::string key = HashKey(kCoinPrefix, outpoint.txid);
  AppendBigEndian32(&key, outpoint.index);
  return key;
}

bool DecodeCoinKey(std::string_view key, OutPoint* outpoint) {
  if (key.size() != kCoinKeySize || key[0] != kCoinPrefix) return false;
  std::memcpy(outpoint->txid.data(), key.data() + 1, Uint256::kSize);
  uint32_t index = 0;
  for (size_t i = 1 + Uint256::kSize; i < kCoinKeySize; ++i) {
    index = index << 8 | static_cast<uint8_t>(key[i]);
  }
  outpoint->index = index;
  return true;
}

Status FromLevelDb(const leveldb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  // leveldb's ToString() is "<Code>: <message>"; keep only the message, since
  // our Status prints its own code.
  std::string text = s.ToString();
  if (const size_t colon = text.find(": "); colon != std::string::npos) text.erase(0, colon + 2);
  const std::string msg = std::string(context) + ": " + text;
  if (s.IsNotFound()) return Status::NotFound(msg);
  if (s.IsCorruption()) return Status::Corruption(msg);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(msg);
  if (s.IsNotSupportedError()) return Status::NotSupported(msg);
  return Status::IOError(msg);
}

}  // namespace cc::store
