// Uint256: a 256-bit opaque identifier (block ids, txids, tensor hashes,
// Merkle roots). Bytes are kept in the order the hash function produced them;
// hex text is those bytes in the same order (no Bitcoin-style reversal), so
// the hex of a hash is what `sha256sum` would print for a single SHA-256.

#ifndef COMPUTECOIN_CHAIN_UINT256_H
#define COMPUTECOIN_CHAIN_UINT256_H

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cc {

class Uint256 {
 public:
  static constexpr size_t kSize = 32;

  /// All zero bytes: the "null" id (e.g. the genesis block's prev).
  constexpr Uint256() = default;
  explicit Uint256(std::span<const uint8_t, kSize> bytes32);

  /// Parses exactly 64 hex digits (either case). Returns nullopt otherwise.
  static std::optional<Uint256> FromHex(std::string_view hex);
  /// 64 lower-case hex digits.
  std::string ToHex() const;

  bool IsZero() const;
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* data() { return bytes_.data(); }
  static constexpr size_t size() { return kSize; }
  std::span<const uint8_t, kSize> span() const { return bytes_; }
  auto begin() const { return bytes_.begin(); }
  auto end() const { return bytes_.end(); }

  /// Byte-wise lexicographic order (the order of the hex strings).
  auto operator<=>(const Uint256&) const = default;

 private:
  std::array<uint8_t, kSize> bytes_{};
};

/// Lets Uint256 key std::unordered_map: the bytes are already uniform hashes.
struct Uint256Hasher {
  size_t operator()(const Uint256& id) const;
};

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_UINT256_H
