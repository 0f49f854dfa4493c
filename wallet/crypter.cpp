#include "wallet/crypter.h"

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/scrypt.h>

#include <string>

namespace cc::wallet {
namespace {

constexpr std::string_view kMasterKeyAad = "Computecoin/MasterKey";
constexpr char kWrongPassphrase[] = "The wallet passphrase entered was incorrect.";

// The cost of one scrypt derivation at 2^log2_n, in milliseconds.
double TimeScrypt(uint8_t log2_n) {
  KdfParams probe;
  probe.log2_n = log2_n;
  SecureBytes key;
  const auto start = std::chrono::steady_clock::now();
  (void)DeriveKey("calibration", probe, &key);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

KdfParams NewKdfParams(std::chrono::milliseconds target, uint8_t min_log2_n) {
  KdfParams params;
  GetStrongRandBytes(params.salt);
  if (min_log2_n < kMinLog2ScryptN) min_log2_n = kMinLog2ScryptN;
  if (min_log2_n > kMaxLog2ScryptN) min_log2_n = kMaxLog2ScryptN;
  params.log2_n = min_log2_n;
  // Time grows linearly in N: double N while the next doubling stays under
  // the target (so we land within a factor of two below it).
  const double base = TimeScrypt(min_log2_n);
  double estimate = base;
  while (params.log2_n < kMaxLog2ScryptN && estimate * 2 <= static_cast<double>(target.count())) {
    ++params.log2_n;
    estimate *= 2;
  }
  return params;
}

Status CheckKdfParams(const KdfParams& params) {
  if (params.method != kKdfScrypt) {
    return Status::Corruption("unknown key derivation method " + std::to_string(params.method));
  }
  if (params.log2_n < kMinLog2ScryptN || params.log2_n > kMaxLog2ScryptN) {
    return Status::Corruption("scrypt N out of range: 2^" + std::to_string(params.log2_n));
  }
  if (params.r != kScryptR) return Status::Corruption("scrypt r must be 8");
  if (params.p < 1 || params.p > kMaxScryptP) return Status::Corruption("scrypt p out of range");
  return Status::OK();
}

Status DeriveKey(std::string_view passphrase, const KdfParams& params, SecureBytes* key32) {
  key32->clear();
  Status s = CheckKdfParams(params);
  if (!s.ok()) return s;
  key32->resize(kCryptoKeySize);
  CryptoPP::Scrypt scrypt;
  scrypt.DeriveKey(key32->data(), key32->size(),
                   reinterpret_cast<const CryptoPP::byte*>(passphrase.data()), passphrase.size(),
                   params.salt.data(), params.salt.size(), uint64_t{1} << params.log2_n, params.r,
                   params.p);
  return Status::OK();
}

Status EncryptSecret(std::span<const uint8_t> key32, std::span<const uint8_t> plaintext,
                     ByteSpan aad, EncryptedSecret* out) {
  if (key32.size() != kCryptoKeySize) return Status::InvalidArgument("key must be 32 bytes");
  if (plaintext.size() > kMaxSecretSize) return Status::InvalidArgument("secret too long");
  EncryptedSecret result;
  GetStrongRandBytes(result.nonce);
  result.ciphertext.resize(plaintext.size() + kTagSize);
  CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
  enc.SetKeyWithIV(key32.data(), key32.size(), result.nonce.data(), result.nonce.size());
  enc.EncryptAndAuthenticate(result.ciphertext.data(), result.ciphertext.data() + plaintext.size(),
                             kTagSize, result.nonce.data(), static_cast<int>(result.nonce.size()),
                             aad.data(), aad.size(), plaintext.data(), plaintext.size());
  *out = std::move(result);
  return Status::OK();
}

Status DecryptSecret(std::span<const uint8_t> key32, const EncryptedSecret& secret, ByteSpan aad,
                     SecureBytes* plaintext) {
  plaintext->clear();
  if (key32.size() != kCryptoKeySize) return Status::InvalidArgument("key must be 32 bytes");
  if (secret.ciphertext.size() < kTagSize || secret.ciphertext.size() > kMaxSecretSize + kTagSize) {
    return Status::Corruption("encrypted secret has a bad length");
  }
  const size_t len = secret.ciphertext.size() - kTagSize;
  SecureBytes out(len);
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
  dec.SetKeyWithIV(key32.data(), key32.size(), secret.nonce.data(), secret.nonce.size());
  const bool ok = dec.DecryptAndVerify(out.data(), secret.ciphertext.data() + len, kTagSize,
                                       secret.nonce.data(), static_cast<int>(secret.nonce.size()),
                                       aad.data(), aad.size(), secret.ciphertext.data(), len);
  if (!ok) return Status::InvalidArgument("decryption failed: wrong key or tampered data");
  *plaintext = std::move(out);
  return Status::OK();
}

Status EncryptMasterKey(std::span<const uint8_t> master_key, std::string_view passphrase,
                        const KdfParams& params, MasterKeyRecord* record) {
  if (passphrase.empty()) return Status::InvalidArgument("passphrase must not be empty");
  if (master_key.size() != kCryptoKeySize) {
    return Status::InvalidArgument("master key must be 32 bytes");
  }
  SecureBytes pass_key;
  Status s = DeriveKey(passphrase, params, &pass_key);
  if (!s.ok()) return s;
  MasterKeyRecord rec;
  rec.kdf = params;
  s = EncryptSecret(pass_key, master_key, AsBytes(kMasterKeyAad), &rec.key);
  if (!s.ok()) return s;
  *record = std::move(rec);
  return Status::OK();
}

Status NewMasterKey(std::string_view passphrase, const KdfParams& params, SecureBytes* master_key,
                    MasterKeyRecord* record) {
  SecureBytes key(kCryptoKeySize);
  GetStrongRandBytes(key);
  Status s = EncryptMasterKey(key, passphrase, params, record);
  if (!s.ok()) return s;
  *master_key = std::move(key);
  return Status::OK();
}

Status DecryptMasterKey(const MasterKeyRecord& record, std::string_view passphrase,
                        SecureBytes* master_key) {
  master_key->clear();
  if (record.version != kMasterKeyVersion) {
    return Status::Corruption("unknown master key version " + std::to_string(record.version));
  }
  SecureBytes pass_key;
  Status s = DeriveKey(passphrase, record.kdf, &pass_key);
  if (!s.ok()) return s;
  SecureBytes key;
  s = DecryptSecret(pass_key, record.key, AsBytes(kMasterKeyAad), &key);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(kWrongPassphrase);
  if (!s.ok()) return s;
  if (key.size() != kCryptoKeySize) return Status::Corruption("master key has a bad length");
  *master_key = std::move(key);
  return Status::OK();
}

}  // namespace cc::wallet
