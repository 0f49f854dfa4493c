// Bech32 and bech32m strings (BIP173, BIP350), and the addresses of our outputs.
//
// String format: hrp "1" data checksum, where
//   hrp       1..83 characters in US-ASCII 33..126 (the network's prefix)
//   "1"       the separator (the last '1' in the string)
//   data      5-bit values, one character each from
//             "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
//   checksum  6 characters; BCH code over the expanded hrp and the data,
//             XORed with 1 (bech32) or 0x2bc830a3 (bech32m)
// The whole string is at most 90 characters and is either all lower case or
// all upper case; we encode lower case.
//
// Segwit-style addresses (BIP173/BIP350): data = version:5 bits, then the
// program converted from 8-bit bytes to 5-bit groups. Version 0 must use
// bech32 and a 20- or 32-byte program; versions 1..16 must use bech32m and a
// 2..40-byte program.
//
// Our addresses: version 1, bech32m, a 32-byte program that is the output's
// lock for kPayToKeyHash, KeyHash(x-only pubkey) (chain/transaction.h). An
// address therefore reveals no public key until its coins are spent. The hrp
// is the network's ChainParams::bech32_hrp ("cc" main, "tc" test, "dc"
// devnet, "rcc" regtest); the wallet is given it by its caller.
//
// Thread safety: free functions without shared state.

#ifndef COMPUTECOIN_WALLET_BECH32_H
#define COMPUTECOIN_WALLET_BECH32_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"
#include "chain/uint256.h"

namespace cc::wallet {

/// Longest bech32 string BIP173 allows.
inline constexpr size_t kMaxBech32Length = 90;
/// The witness-style version of our addresses.
inline constexpr uint8_t kAddressVersion = 1;
/// The length of our addresses' program (a KeyHash).
inline constexpr size_t kAddressProgramSize = 32;

enum class Encoding {
  kInvalid,  //!< failed decoding
  kBech32,   //!< BIP173
  kBech32m,  //!< BIP350
};

struct DecodeResult {
  Encoding encoding = Encoding::kInvalid;
  std::string hrp;            //!< lower case
  std::vector<uint8_t> data;  //!< 5-bit values, checksum removed
};

/** Encodes hrp and 5-bit data with the checksum of `encoding`.
 *
 *  Returns: the lower-case string; empty if encoding is kInvalid, a data
 *           value is above 31, or the hrp is empty or has characters
 *           outside 33..126.
 */
std::string Encode(Encoding encoding, std::string_view hrp, const std::vector<uint8_t>& data);

/** Decodes a bech32 or bech32m string (length, case, characters, separator
 *  and checksum are checked; the length limit is kMaxBech32Length).
 *
 *  Returns: {encoding, hrp, data}; encoding kInvalid (and nothing else
 *           meaningful) for any error.
 */
DecodeResult Decode(std::string_view str);

/** Regroups bits: `from_bits`-wide values into `to_bits`-wide ones, as
 *  BIP173's convertbits. With pad, a partial last group is zero-padded;
 *  without, leftover bits must be fewer than from_bits and all zero.
 *
 *  Returns: true on success; false (out unspecified) on a value too wide or
 *           bad padding.
 */
[[nodiscard]] bool ConvertBits(int from_bits, int to_bits, bool pad,
                               const std::vector<uint8_t>& in, std::vector<uint8_t>* out);

/** Encodes a segwit-style address (file comment: version 0 with bech32,
 *  others with bech32m).
 *
 *  Returns: the address; empty if version > 16 or the program length is not
 *           allowed for the version.
 */
std::string EncodeSegwitAddress(std::string_view hrp, uint8_t version,
                                const std::vector<uint8_t>& program);

/** Decodes a segwit-style address whose hrp must equal `hrp`.
 *
 *  Returns: OK with *version and *program; InvalidArgument naming the
 *           problem (bad checksum/characters, wrong hrp, wrong encoding for
 *           the version, bad program length or padding); outputs unspecified.
 */
Status DecodeSegwitAddress(std::string_view hrp, std::string_view addr, uint8_t* version,
                           std::vector<uint8_t>* program);

/// Our address for a kPayToKeyHash output locked to `key_hash`.
std::string EncodeAddress(std::string_view hrp, const Uint256& key_hash);

/** Parses one of our addresses for the network `hrp`.
 *
 *  Returns: OK with *key_hash; InvalidArgument for anything else, including
 *           a valid address of another network ("address is for another
 *           network (hrp 'tc')"), of another version, or another length.
 */
Status DecodeAddress(std::string_view hrp, std::string_view addr, Uint256* key_hash);

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_BECH32_H
