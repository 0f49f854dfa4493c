#include "chain/uint256.h"

#include <algorithm>
#include <cstring>

#include "chain/hex.h"

namespace cc {

Uint256::Uint256(std::span<const uint8_t, kSize> bytes32) {
  std::copy(bytes32.begin(), bytes32.end(), bytes_.begin());
}

std::optional<Uint256> Uint256::FromHex(std::string_view hex) {
  Uint256 out;
  if (!ParseHexInto(hex, out.bytes_)) return std::nullopt;
  return out;
}

std::string Uint256::ToHex() const { return HexStr(bytes_); }

bool Uint256::IsZero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == 0; });
}

size_t Uint256Hasher::operator()(const Uint256& id) const {
  size_t h;
  std::memcpy(&h, id.data(), sizeof(h));
  return h;
}

}  // namespace cc
