#include "chain/uint256.h"

#include <algorithm>
#include <cstring>

namespace cc {
namespace {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Uint256::Uint256(std::span<const uint8_t, kSize> bytes32) {
  std::copy(bytes32.begin(), bytes32.end(), bytes_.begin());
}

std::optional<Uint256> Uint256::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) return std::nullopt;
  Uint256 out;
  for (size_t i = 0; i < kSize; ++i) {
    const int hi = HexDigitValue(hex[2 * i]);
    const int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.bytes_[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string Uint256::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * kSize, '0');
  for (size_t i = 0; i < kSize; ++i) {
    out[2 * i] = kDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kDigits[bytes_[i] & 0xf];
  }
  return out;
}

bool Uint256::IsZero() const {
  return std::all_of(bytes_.begin(), bytes_.end(), [](uint8_t b) { return b == 0; });
}

size_t Uint256Hasher::operator()(const Uint256& id) const {
  size_t h;
  std::memcpy(&h, id.data(), sizeof(h));
  return h;
}

}  // namespace cc
