// Wallet encryption: two levels, as Bitcoin Core's wallet/crypter.h.
//
//   passphrase --scrypt(salt, N, r, p)--> passphrase key (32 bytes)
//   passphrase key --AES-256-GCM--> encrypts the master key (32 random bytes)
//   master key --AES-256-GCM--> encrypts each secret (the HD seed)
// Changing the passphrase re-encrypts only the master key; the secrets stay
// as they are. A wrong passphrase gives a key under which the master key's
// GCM tag does not verify, so it is rejected without ever using a wrong key.
//
// scrypt is memory-hard: each guess costs 128·N·r bytes of memory as well as
// time. NewKdfParams calibrates N (a power of two) so one derivation takes
// about 100 ms on this machine, within [kMinScryptN, kMaxScryptN]. The
// parameters are stored beside the ciphertext (MasterKeyRecord), so a wallet
// opens wherever it was made; on load they are bounded, so a tampered file
// cannot make us allocate gigabytes.
//
// Each encryption draws a fresh 12-byte nonce. The associated data (aad)
// binds a ciphertext to what it encrypts (e.g. "hdseed"), so ciphertexts of
// different records cannot be swapped in the file unnoticed.
//
// Wire formats:
//   KdfParams       = method:u8 salt:[16] log2_n:u8 r:u32 p:u32
//   EncryptedSecret = nonce:[12] ciphertext:bytes   (ciphertext || 16-byte GCM tag)
//   MasterKeyRecord = version:u32 kdf:KdfParams key:EncryptedSecret
//
// Thread safety: free functions and values; no shared state.

#ifndef COMPUTECOIN_WALLET_CRYPTER_H
#define COMPUTECOIN_WALLET_CRYPTER_H

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "chain/hash.h"
#include "chain/serialize.h"
#include "chain/status.h"
#include "wallet/secure.h"

namespace cc::wallet {

/// Size of the master key and of every AES-256 key.
inline constexpr size_t kCryptoKeySize = 32;
inline constexpr size_t kSaltSize = 16;
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;
/// Bounds on scrypt's cost: 2^14 takes 16 MiB (r = 8), 2^20 takes 1 GiB.
inline constexpr uint8_t kMinLog2ScryptN = 10;
inline constexpr uint8_t kMaxLog2ScryptN = 20;
inline constexpr uint8_t kDefaultMinLog2ScryptN = 14;
inline constexpr uint32_t kScryptR = 8;
inline constexpr uint32_t kMaxScryptP = 16;
/// What one passphrase derivation should cost.
inline constexpr std::chrono::milliseconds kKdfTarget{100};
/// Longest secret we encrypt (seeds are 16..64 bytes).
inline constexpr size_t kMaxSecretSize = 1024;

/// The only KDF method so far.
inline constexpr uint8_t kKdfScrypt = 1;
inline constexpr uint32_t kMasterKeyVersion = 1;

struct KdfParams {
  uint8_t method = kKdfScrypt;
  std::array<uint8_t, kSaltSize> salt{};
  uint8_t log2_n = kDefaultMinLog2ScryptN;  //!< N = 2^log2_n, e.g. 15
  uint32_t r = kScryptR;
  uint32_t p = 1;

  CC_SERIALIZE_METHODS(KdfParams, obj) { ar(obj.method, obj.salt, obj.log2_n, obj.r, obj.p); }
  bool operator==(const KdfParams&) const = default;
};

struct EncryptedSecret {
  std::array<uint8_t, kNonceSize> nonce{};
  std::vector<uint8_t> ciphertext;  //!< encrypted bytes followed by the GCM tag

  CC_SERIALIZE_METHODS(EncryptedSecret, obj) { ar(obj.nonce, obj.ciphertext); }
  bool operator==(const EncryptedSecret&) const = default;
};

/// The master key, encrypted under the passphrase key, with the KDF's parameters.
struct MasterKeyRecord {
  uint32_t version = kMasterKeyVersion;
  KdfParams kdf;
  EncryptedSecret key;

  CC_SERIALIZE_METHODS(MasterKeyRecord, obj) { ar(obj.version, obj.kdf, obj.key); }
  bool operator==(const MasterKeyRecord&) const = default;
};

/** Fresh scrypt parameters: a random salt and N calibrated so one
 *  derivation takes about `target` (never below 2^min_log2_n).
 *  In:      target:     the time one derivation should take.
 *           min_log2_n: the floor for N (tests pass kMinLog2ScryptN to run fast).
 */
KdfParams NewKdfParams(std::chrono::milliseconds target = kKdfTarget,
                       uint8_t min_log2_n = kDefaultMinLog2ScryptN);

/** Checks parameters read from disk against the bounds above.
 *  Returns: OK, or Corruption naming the field out of range.
 */
Status CheckKdfParams(const KdfParams& params);

/** Derives the 32-byte passphrase key.
 *
 *  Returns: OK with *key32 set; Corruption if the parameters fail
 *           CheckKdfParams (*key32 is then empty).
 *  Out:     key32: REQUIRES: not null.
 */
Status DeriveKey(std::string_view passphrase, const KdfParams& params, SecureBytes* key32);

/** AES-256-GCM encryption of `plaintext` under key32 with a fresh nonce.
 *
 *  Returns: OK with *out set; InvalidArgument if key32 is not 32 bytes or
 *           the plaintext is longer than kMaxSecretSize.
 *  Out:     out:  REQUIRES: not null.
 *  In:      aad:  associated data; the same bytes must be given to decrypt.
 */
Status EncryptSecret(std::span<const uint8_t> key32, std::span<const uint8_t> plaintext,
                     ByteSpan aad, EncryptedSecret* out);

/** Verifies the GCM tag and decrypts.
 *
 *  Returns: OK with *plaintext set; InvalidArgument("decryption failed: wrong
 *           key or tampered data") when the tag does not verify (wrong key,
 *           other aad, or changed bytes), Corruption if the ciphertext is
 *           shorter than a tag or longer than kMaxSecretSize + tag.
 *           *plaintext is empty on failure.
 *  Out:     plaintext: REQUIRES: not null.
 */
Status DecryptSecret(std::span<const uint8_t> key32, const EncryptedSecret& secret, ByteSpan aad,
                     SecureBytes* plaintext);

/** Makes a random master key and its record under `passphrase`.
 *
 *  Returns: OK with *master_key (32 bytes) and *record; InvalidArgument for
 *           an empty passphrase.
 *  Out:     master_key, record: REQUIRES: not null.
 *  In:      params: from NewKdfParams.
 */
Status NewMasterKey(std::string_view passphrase, const KdfParams& params, SecureBytes* master_key,
                    MasterKeyRecord* record);

/** Recovers the master key from its record.
 *
 *  Returns: OK with *master_key; InvalidArgument("The wallet passphrase
 *           entered was incorrect.") if the tag does not verify; Corruption
 *           for an unknown version or method or out-of-range parameters.
 *  Out:     master_key: REQUIRES: not null.
 */
Status DecryptMasterKey(const MasterKeyRecord& record, std::string_view passphrase,
                        SecureBytes* master_key);

/** Re-encrypts `master_key` under a new passphrase and fresh parameters.
 *  Returns: as NewMasterKey.
 *  Out:     record: REQUIRES: not null.
 */
Status EncryptMasterKey(std::span<const uint8_t> master_key, std::string_view passphrase,
                        const KdfParams& params, MasterKeyRecord* record);

}  // namespace cc::wallet

#endif  // COMPUTECOIN_WALLET_CRYPTER_H
