// BIP340 Schnorr keys and signatures on secp256k1 (libsecp256k1's
// schnorrsig and extrakeys modules).
//
// House rules, as in libsecp256k1's headers: sizes are in the names
// (msg32, sig64), every check returns [[nodiscard]] bool, and an output
// is specified on failure. Messages are always 32-byte tagged hashes
// (hash.h), which is what gives BIP340 signatures domain separation: a
// signature over a sighash can never be replayed as one over a block or
// a work record, since those are hashed under other tags.
//
// Formats: a secret key is a 32-byte big-endian scalar in [1, n-1]; a public
// key is the 32-byte x coordinate of a point with even y; a signature is
// the 64 bytes R.x || s of BIP340.
//
// Thread safety: every function may be called concurrently. They share one
// libsecp256k1 context, created and randomized (blinding against side
// channels) on first use; after that it is only read.

#ifndef COMPUTECOIN_CHAIN_KEY_H
#define COMPUTECOIN_CHAIN_KEY_H

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "chain/transaction.h"
#include "chain/uint256.h"

namespace cc {

/// A secp256k1 secret key. Copies are independent; every copy wipes its
/// memory when destroyed. Never serialized by this class: the wallet stores
/// keys encrypted.
class PrivateKey {
 public:
  /** Draws a fresh key from the operating system (getrandom(2)).
   *
   *  Aborts the process if the OS has no randomness to give: a node that
   *  cannot make keys safely must not make them unsafely.
   */
  static PrivateKey Generate();

  /** Adopts 32 bytes as a secret key.
   *
   *  Returns: the key, or nullopt if the bytes are 0 or not below the curve
   *           order n (not a valid scalar).
   *  In:      bytes32: the big-endian scalar.
   */
  static std::optional<PrivateKey> FromBytes(std::span<const uint8_t, 32> bytes32);

  PrivateKey(const PrivateKey&) = default;
  PrivateKey& operator=(const PrivateKey&) = default;
  ~PrivateKey();

  /** Returns: the x-only public key of this secret key. */
  XOnlyPubKeyBytes PublicKey() const;

  /** Signs a 32-byte message with fresh auxiliary randomness (BIP340's
   *  recommended nonce derivation: the nonce depends on key, message and
   *  32 random bytes, so a faulty RNG does not leak the key).
   *
   *  Unlike secp256k1_schnorrsig_sign32, the result is verified before it is
   *  returned (a fault while signing can leak the key through the bad
   *  signature); the process aborts if that check fails.
   *  Returns: the 64-byte signature.
   *  In:      msg32: a tagged hash (see the file comment).
   */
  SchnorrSigBytes Sign(const Uint256& msg32) const;

  /** As Sign(msg32), with caller-chosen auxiliary data; the same inputs
   *  give the same signature. Exists for the BIP340 test vectors and for
   *  reproducible test chains; use Sign(msg32) otherwise.
   *  In:      msg32:      the message.
   *           aux_rand32: 32 bytes mixed into the nonce.
   */
  SchnorrSigBytes Sign(const Uint256& msg32, std::span<const uint8_t, 32> aux_rand32) const;

  /** Returns: the 32-byte secret scalar. Valid while this object lives. */
  std::span<const uint8_t, 32> bytes() const { return secret_; }

 private:
  PrivateKey() = default;

  std::array<uint8_t, 32> secret_{};
  // secp256k1_keypair, an opaque 96 bytes holding the secret and the public
  // key, so that signing does not redo the point multiplication.
  std::array<uint8_t, 96> keypair_{};
};

/** Verifies a BIP340 Schnorr signature.
 *
 *  Returns: true if sig64 is a valid signature of msg32 under pubkey; false
 *           otherwise, including when pubkey is not an x coordinate on the
 *           curve.
 *  In:      pubkey: the signer's x-only public key.
 *           msg32:  the signed message.
 *           sig64:  the signature.
 */
[[nodiscard]] bool VerifySchnorr(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                                 const SchnorrSigBytes& sig64);

/** Returns: true if pubkey is the x coordinate of a point on the curve (the
 *           only condition BIP340 puts on a public key); false otherwise.
 *  In:      pubkey: 32 bytes, big-endian.
 */
[[nodiscard]] bool IsValidXOnlyPubKey(const XOnlyPubKeyBytes& pubkey);

/** Elliptic-curve Diffie-Hellman on x-only keys (libsecp256k1's ecdh module):
 *  the x coordinate of secret · pubkey. Only x is used because an x-only key
 *  names a point up to its sign, and x(d·P) = x(d·(−P)): both sides get the
 *  same 32 bytes whichever y their keys had. Feed it to a KDF, never use it
 *  as a key directly.
 *
 *  Returns: false (and *shared32 unspecified) if pubkey is not on the curve.
 *  In:      secret: our key.  pubkey: theirs.
 *  Out:     shared32: the shared x coordinate, big-endian.
 */
[[nodiscard]] bool EcdhXOnly(const PrivateKey& secret, const XOnlyPubKeyBytes& pubkey,
                             std::array<uint8_t, 32>* shared32);

}  // namespace cc

#endif  // COMPUTECOIN_CHAIN_KEY_H
