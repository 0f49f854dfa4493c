// Hierarchical deterministic keys (BIP32) on secp256k1, used as BIP340 keys.
//
// Derivation is BIP32's, bit for bit, so its published test vectors hold:
//   master      I = HMAC-SHA512(key "Bitcoin seed", seed); k = I[0:32], c = I[32:64]
//   CKDpriv     i >= 2^31 (hardened): I = HMAC-SHA512(c, 0x00 || k || ser32(i))
//               i <  2^31:            I = HMAC-SHA512(c, serP(k·G) || ser32(i))
//               k_i = I[0:32] + k mod n, c_i = I[32:64]
//   CKDpub      (i < 2^31 only)       I = HMAC-SHA512(c, serP(K) || ser32(i)),
//               K_i = I[0:32]·G + K
//   fingerprint the first 4 bytes of RIPEMD160(SHA256(serP(K)))
// serP is the 33-byte compressed point (0x02/0x03 || x). When I[0:32] >= n or
// the result is zero (probability < 2^-127) the index is invalid and Derive
// fails; callers skip to the next index, as BIP32 says.
//
// From BIP32's key to ours. Derivation always uses the full compressed
// point, parity byte included, so the chain is the same as any BIP32
// wallet's. Our public key (chain/key.h) is the x coordinate alone: the
// 32 bytes after the parity byte of serP(K). The derived secret k is used
// unchanged as a cc::PrivateKey; when k·G has odd y, BIP340 signing negates
// k internally (libsecp256k1's keypair does this), so the signature verifies
// under the x-only key. Nothing is negated before derivation.
//
// Paths (the wallet's; doc/wallet.md):
//   m / 86' / coin_type' / account' / chain / index
//   86'        purpose, borrowed from BIP86 (single BIP340 keys); our outputs
//              are key hashes, not taproot outputs, so a BIP86 wallet on the
//              same seed sees none of our coins and vice versa
//   coin_type' kCoinTypeMain on main, kCoinTypeTest on test, devnet, regtest
//   account'   0 for now
//   chain      kReceiveChain (0) for handed-out addresses, kChangeChain (1)
//   index      0, 1, 2, ... (unhardened, so the account's extended public key
//              derives new addresses while the wallet is locked)
//
// Thread safety: values; free functions and const methods may run
// concurrently. Extended keys wipe their secret when destroyed.

#ifndef COMPUTECOIN_WALLET_HD_H
#define COMPUTECOIN_WALLET_HD_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "chain/key.h"
#include "chain/serialize.h"
#include "chain/transaction.h"

namespace cc::wallet {

/// Child indices at or above this are hardened (written i' in paths).
inline constexpr uint32_t kHardened = 0x80000000;
/// BIP32's bounds on the seed length, in bytes.
inline constexpr size_t kMinSeedSize = 16;
inline constexpr size_t kMaxSeedSize = 64;
/// The seed length the wallet generates.
inline constexpr size_t kSeedSize = 32;

inline constexpr uint32_t kPurpose = 86;
/// Coin types: not registered in SLIP-0044; 1 is SLIP-0044's "any testnet".
inline constexpr uint32_t kCoinTypeMain = 7316;
inline constexpr uint32_t kCoinTypeTest = 1;
inline constexpr uint32_t kReceiveChain = 0;
inline constexpr uint32_t kChangeChain = 1;

using ChainCode = std::array<uint8_t, 32>;
using CompressedPubKey = std::array<uint8_t, 33>;
using Fingerprint = std::array<uint8_t, 4>;

/// An extended public key: a point and its chain code, with BIP32's position
/// fields (not used in derivation, kept for display and key origins).
///
/// Wire format: depth:u8 parent_fingerprint:[4] child:u32 chain_code:[32] pubkey:[33]
struct ExtPubKey {
  uint8_t depth = 0;
  Fingerprint parent_fingerprint{};
  uint32_t child = 0;  //!< index of this key under its parent
  ChainCode chain_code{};
  CompressedPubKey pubkey{};

  CC_SERIALIZE_METHODS(ExtPubKey, obj) {
    ar(obj.depth, obj.parent_fingerprint, obj.child, obj.chain_code, obj.pubkey);
  }
  bool operator==(const ExtPubKey&) const = default;

  /** CKDpub.
   *
   *  Returns: true with *out set; false (out unspecified) if index is
   *           hardened or the index is invalid (see file comment).
   *  Out:     out: REQUIRES: not null.
   */
  [[nodiscard]] bool Derive(uint32_t index, ExtPubKey* out) const;
  /// This key's fingerprint (its children's parent_fingerprint).
  Fingerprint GetFingerprint() const;
  /// The x-only public key our outputs and signatures use: pubkey[1..33].
  XOnlyPubKeyBytes XOnly() const;
};

/// An extended private key. Copies are independent and wipe themselves.
class ExtKey {
 public:
  ExtKey() = default;
  ExtKey(const ExtKey&) = default;
  ExtKey& operator=(const ExtKey&) = default;
  ~ExtKey();

  /** The master key of a seed.
   *
   *  Returns: true with *out set; false (out unspecified) if the seed length
   *           is outside [kMinSeedSize, kMaxSeedSize] or the seed gives an
   *           invalid master key.
   *  Out:     out:  REQUIRES: not null.
   *  In:      seed: the wallet's secret seed.
   */
  [[nodiscard]] static bool FromSeed(std::span<const uint8_t> seed, ExtKey* out);

  /** CKDpriv, hardened or not.
   *
   *  Returns: true with *out set; false (out unspecified) for an invalid
   *           index (see file comment).
   *  Out:     out: REQUIRES: not null; may alias this.
   */
  [[nodiscard]] bool Derive(uint32_t index, ExtKey* out) const;

  /** Follows a path from this key, e.g. {86|kHardened, 1|kHardened, 0}.
   *  Returns: as Derive, for the first invalid step.
   */
  [[nodiscard]] bool DerivePath(std::span<const uint32_t> path, ExtKey* out) const;

  /// The extended public key (BIP32's N()).
  ExtPubKey Neuter() const;
  /// The secret as a BIP340 signing key (see file comment).
  PrivateKey Key() const;

  uint8_t depth() const { return depth_; }
  const Fingerprint& parent_fingerprint() const { return parent_fingerprint_; }
  uint32_t child() const { return child_; }
  const ChainCode& chain_code() const { return chain_code_; }
  /// The 32-byte secret scalar; valid while this object lives.
  std::span<const uint8_t, 32> secret() const { return secret_; }

 private:
  uint8_t depth_ = 0;
  Fingerprint parent_fingerprint_{};
  uint32_t child_ = 0;
  ChainCode chain_code_{};
  std::array<uint8_t, 32> secret_{};
};

/// The account path m/86'/coin_type'/account'.
std::vector<uint32_t> AccountPath(uint32_t coin_type, uint32_t account);

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_HD_H
