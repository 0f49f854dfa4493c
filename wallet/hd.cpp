#include "wallet/hd.h"

#include <cryptopp/hmac.h>
#include <cryptopp/ripemd.h>
#include <cryptopp/sha.h>
#include <secp256k1.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "chain/hash.h"
#include "wallet/secure.h"

namespace cc::wallet {
namespace {

constexpr char kMasterHmacKey[] = "Bitcoin seed";

[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "fatal: %s\n", what);
  std::abort();
}

// Our own libsecp256k1 context (chain/key.cpp keeps its own private); made
// and randomized once, then only read.
const secp256k1_context* Context() {
  static const secp256k1_context* const ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    GetStrongRandBytes(seed);
    if (!secp256k1_context_randomize(c, seed)) Fatal("secp256k1_context_randomize failed");
    Wipe(seed, sizeof(seed));
    return c;
  }();
  return ctx;
}

// 64 bytes of HMAC-SHA512 output that wipe themselves.
struct Hmac64 {
  uint8_t bytes[64];
  ~Hmac64() { Wipe(bytes, sizeof(bytes)); }
};

void HmacSha512(std::span<const uint8_t> key, std::span<const uint8_t> data, Hmac64* out) {
  CryptoPP::HMAC<CryptoPP::SHA512> mac(key.data(), key.size());
  mac.CalculateDigest(out->bytes, data.data(), data.size());
}

void PutBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

bool SerializePoint(const secp256k1_pubkey& point, CompressedPubKey* out) {
  size_t len = out->size();
  return secp256k1_ec_pubkey_serialize(Context(), out->data(), &len, &point,
                                       SECP256K1_EC_COMPRESSED) == 1 &&
         len == out->size();
}

// serP(k·G). The secret is valid by construction of ExtKey.
CompressedPubKey PointOf(std::span<const uint8_t, 32> secret) {
  secp256k1_pubkey point;
  CompressedPubKey out;
  if (!secp256k1_ec_pubkey_create(Context(), &point, secret.data()) ||
      !SerializePoint(point, &out)) {
    Fatal("secp256k1 rejected a valid secret key");
  }
  return out;
}

Fingerprint FingerprintOf(const CompressedPubKey& pubkey) {
  const Uint256 sha = Sha256Hash(pubkey);
  uint8_t h160[CryptoPP::RIPEMD160::DIGESTSIZE];
  CryptoPP::RIPEMD160().CalculateDigest(h160, sha.data(), sha.size());
  Fingerprint fp;
  std::memcpy(fp.data(), h160, fp.size());
  return fp;
}

}  // namespace

// ---------------------------------------------------------------------------
// ExtPubKey

bool ExtPubKey::Derive(uint32_t index, ExtPubKey* out) const {
  if (index >= kHardened) return false;
  uint8_t data[33 + 4];
  std::memcpy(data, pubkey.data(), 33);
  PutBe32(data + 33, index);
  Hmac64 i;
  HmacSha512(chain_code, data, &i);
  secp256k1_pubkey point;
  if (!secp256k1_ec_pubkey_parse(Context(), &point, pubkey.data(), pubkey.size())) return false;
  // Fails when I[0:32] >= n or the sum is the point at infinity.
  if (!secp256k1_ec_pubkey_tweak_add(Context(), &point, i.bytes)) return false;
  ExtPubKey child_key;
  if (!SerializePoint(point, &child_key.pubkey)) return false;
  child_key.depth = static_cast<uint8_t>(depth + 1);
  child_key.parent_fingerprint = GetFingerprint();
  child_key.child = index;
  std::memcpy(child_key.chain_code.data(), i.bytes + 32, 32);
  *out = child_key;
  return true;
}

Fingerprint ExtPubKey::GetFingerprint() const { return FingerprintOf(pubkey); }

XOnlyPubKeyBytes ExtPubKey::XOnly() const {
  XOnlyPubKeyBytes x;
  std::memcpy(x.data(), pubkey.data() + 1, x.size());
  return x;
}

// ---------------------------------------------------------------------------
// ExtKey

ExtKey::~ExtKey() {
  Wipe(secret_.data(), secret_.size());
  Wipe(chain_code_.data(), chain_code_.size());
}

bool ExtKey::FromSeed(std::span<const uint8_t> seed, ExtKey* out) {
  if (seed.size() < kMinSeedSize || seed.size() > kMaxSeedSize) return false;
  Hmac64 i;
  HmacSha512(AsBytes(std::string_view(kMasterHmacKey, sizeof(kMasterHmacKey) - 1)), seed, &i);
  if (!secp256k1_ec_seckey_verify(Context(), i.bytes)) return false;
  ExtKey key;
  std::memcpy(key.secret_.data(), i.bytes, 32);
  std::memcpy(key.chain_code_.data(), i.bytes + 32, 32);
  *out = key;
  return true;
}

bool ExtKey::Derive(uint32_t index, ExtKey* out) const {
  uint8_t data[33 + 4];
  if (index >= kHardened) {
    data[0] = 0;
    std::memcpy(data + 1, secret_.data(), 32);
  } else {
    const CompressedPubKey point = PointOf(secret_);
    std::memcpy(data, point.data(), 33);
  }
  PutBe32(data + 33, index);
  Hmac64 i;
  HmacSha512(chain_code_, data, &i);
  Wipe(data, sizeof(data));
  ExtKey child_key;
  child_key.secret_ = secret_;
  // Fails when I[0:32] >= n or the sum is zero mod n.
  if (!secp256k1_ec_seckey_tweak_add(Context(), child_key.secret_.data(), i.bytes)) return false;
  child_key.depth_ = static_cast<uint8_t>(depth_ + 1);
  child_key.parent_fingerprint_ = FingerprintOf(PointOf(secret_));
  child_key.child_ = index;
  std::memcpy(child_key.chain_code_.data(), i.bytes + 32, 32);
  *out = child_key;
  return true;
}

bool ExtKey::DerivePath(std::span<const uint32_t> path, ExtKey* out) const {
  ExtKey key = *this;
  for (uint32_t index : path) {
    if (!key.Derive(index, &key)) return false;
  }
  *out = key;
  return true;
}

ExtPubKey ExtKey::Neuter() const {
  ExtPubKey pub;
  pub.depth = depth_;
  pub.parent_fingerprint = parent_fingerprint_;
  pub.child = child_;
  pub.chain_code = chain_code_;
  pub.pubkey = PointOf(secret_);
  return pub;
}

PrivateKey ExtKey::Key() const {
  std::optional<PrivateKey> key = PrivateKey::FromBytes(secret_);
  if (!key) Fatal("a BIP32 secret is not a valid key");
  return *key;
}

std::vector<uint32_t> AccountPath(uint32_t coin_type, uint32_t account) {
  return {kPurpose | kHardened, coin_type | kHardened, account | kHardened};
}

}  // namespace cc::wallet
