// Hexadecimal text of byte strings: the one codec every layer uses (RPC
// arguments and results, logs, test vectors, Uint256::ToHex).
//
// Encoding is lower-case, two digits per byte, most significant nibble
// first. Decoding accepts either case and rejects odd lengths and any
// non-digit, so every byte string has exactly one encoding we produce.
//
// Thread safety: free functions only.

#ifndef COMPUTECOIN_CHAIN_HEX_H
#define COMPUTECOIN_CHAIN_HEX_H

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cc {

/// Lower-case hex of `bytes` (2·size characters).
std::string HexStr(std::span<const uint8_t> bytes);

/// Appends HexStr(bytes) to *out without a temporary string.
/// REQUIRES: out is not null.
void AppendHex(std::span<const uint8_t> bytes, std::string* out);

/// Decodes `hex` into *out. Returns false, with *out unchanged, for an odd
/// length or a character that is not a hex digit.
/// REQUIRES: out is not null.
[[nodiscard]] bool ParseHex(std::string_view hex, std::vector<uint8_t>* out);

/// Decodes exactly out.size() bytes; false (out unspecified) unless
/// hex.size() == 2·out.size() and every character is a hex digit.
[[nodiscard]] bool ParseHexInto(std::string_view hex, std::span<uint8_t> out);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_HEX_H
