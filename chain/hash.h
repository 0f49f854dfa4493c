// SHA-256 hashing: plain, double (for ids) and BIP340-style tagged hashes.
//
// Every distinct kind of object is hashed under its own tag, so a hash of one
// kind can never be replayed as a hash of another:
//   TaggedHash(tag, m) = SHA256(SHA256(tag) || SHA256(tag) || m)
// Tags are the constants in namespace cc::tags below; add one per new kind.
//
// The implementation is Crypto++'s SHA-256, which uses the SHA-NI or AVX2
// code path where the processor has it.
//
// Sha256Compress exposes the bare compression function (FIPS 180-4 §6.2.2)
// for callers that hash many messages of one fixed size and lay out the
// padded blocks themselves (merkle.cpp: 33-byte leaves, 65-byte inner nodes).
// It works on 32-bit words, not bytes: a block is W0..W15, each word the
// big-endian reading of four message bytes, and the digest is H0..H7 written
// big-endian. Getting the padding wrong gives a wrong hash, not a crash, so
// every such caller is tested against Sha256Hash.
//
// Thread safety: free functions are safe to call concurrently; a Sha256
// object must not be shared between threads without synchronisation.

#ifndef COMPUTECOIN_CHAIN_HASH_H
#define COMPUTECOIN_CHAIN_HASH_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "chain/uint256.h"

namespace cc {

using ByteSpan = std::span<const uint8_t>;

/// Views the characters of a string as bytes.
inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// Incremental SHA-256. Write() any number of times, then Finalize() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Write(ByteSpan data);
  /// Returns the digest. REQUIRES: called at most once per object.
  Uint256 Finalize();

  /// Starts a hasher pre-loaded with the tagged-hash prefix for `tag`.
  static Sha256 Tagged(std::string_view tag);

 private:
  Sha256(Sha256&&) noexcept;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The SHA-256 chaining value H0..H7. Aligned for Crypto++'s SIMD paths.
struct alignas(16) Sha256State {
  uint32_t h[8];
};

/// One 64-byte message block as the words W0..W15 (big-endian reading).
struct alignas(16) Sha256Block {
  uint32_t w[16];
};

/// FIPS 180-4 §5.3.3: the chaining value before the first block.
inline constexpr Sha256State kSha256InitialState = {{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                     0x510e527f, 0x9b05688c, 0x1f83d9ab,
                                                     0x5be0cd19}};

/// Runs the compression function on *state with one block, in place.
/// REQUIRES: state is not null.
void Sha256Compress(Sha256State* state, const Sha256Block& block);

/// The digest bytes of a final chaining value (each word big-endian).
Uint256 Sha256Digest(const Sha256State& state);

/// SHA256(data).
Uint256 Sha256Hash(ByteSpan data);
/// SHA256(SHA256(data)): block ids and txids.
Uint256 Hash256(ByteSpan data);
/// SHA256(SHA256(tag) || SHA256(tag) || data).
Uint256 TaggedHash(std::string_view tag, ByteSpan data);

namespace tags {
inline constexpr std::string_view kSighash = "Computecoin/Sighash";
inline constexpr std::string_view kBlockSig = "Computecoin/BlockSig";
inline constexpr std::string_view kKeyHash = "Computecoin/KeyHash";
inline constexpr std::string_view kWorkRecord = "Computecoin/WorkRecord";
inline constexpr std::string_view kWorkSig = "Computecoin/WorkSig";
inline constexpr std::string_view kTensor = "Computecoin/Tensor";
inline constexpr std::string_view kStateLeaf = "Computecoin/StateLeaf";
inline constexpr std::string_view kRegistryLeaf = "Computecoin/RegistryLeaf";
inline constexpr std::string_view kDataChunk = "Computecoin/DataChunk";
inline constexpr std::string_view kModelConfig = "Computecoin/ModelConfig";
inline constexpr std::string_view kWeightInit = "Computecoin/WeightInit";
inline constexpr std::string_view kRegistration = "Computecoin/Registration";
inline constexpr std::string_view kChannelTerms = "Computecoin/ChannelTerms";
inline constexpr std::string_view kReceipt = "Computecoin/Receipt";
inline constexpr std::string_view kReceiptSig = "Computecoin/ReceiptSig";
inline constexpr std::string_view kReceiptSalt = "Computecoin/ReceiptSalt";
inline constexpr std::string_view kHolderBond = "Computecoin/HolderBond";
}  // namespace tags

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_HASH_H
