#include "chain/key.h"

#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cc {
namespace {

static_assert(sizeof(secp256k1_keypair) == 96,
              "PrivateKey::keypair_ must hold a secp256k1_keypair");

[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "fatal: %s\n", what);
  std::abort();
}

// Fills buf from the kernel's CSPRNG. getrandom blocks only until the pool
// is first initialised; short reads happen only for requests over 256 bytes
// or on a signal, which the loop handles.
void GetOsRandom(uint8_t* buf, size_t len) {
  while (len > 0) {
    const ssize_t n = getrandom(buf, len, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fatal("getrandom failed; no secure randomness for keys");
    }
    buf += n;
    len -= static_cast<size_t>(n);
  }
}

// Stores zeros the compiler may not drop as dead (the object is about to die).
void Wipe(void* p, size_t len) { explicit_bzero(p, len); }

// The shared context. Randomizing it is the only call that needs exclusive
// access, and it happens inside the function-local static's initialisation,
// which C++ runs exactly once, before any other thread can see the context.
const secp256k1_context* Context() {
  static const secp256k1_context* const ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    GetOsRandom(seed, sizeof(seed));
    if (!secp256k1_context_randomize(c, seed)) Fatal("secp256k1_context_randomize failed");
    Wipe(seed, sizeof(seed));
    return c;
  }();
  return ctx;
}

// A secp256k1_keypair that wipes itself, for the moments we unpack one.
struct ScopedKeypair {
  secp256k1_keypair kp;
  ~ScopedKeypair() { Wipe(&kp, sizeof(kp)); }
};

}  // namespace

PrivateKey PrivateKey::Generate() {
  uint8_t bytes[32];
  for (;;) {
    GetOsRandom(bytes, sizeof(bytes));
    // Fails with probability about 2^-128 (zero or >= n).
    std::optional<PrivateKey> key = FromBytes(bytes);
    if (key) {
      Wipe(bytes, sizeof(bytes));
      return *key;
    }
  }
}

std::optional<PrivateKey> PrivateKey::FromBytes(std::span<const uint8_t, 32> bytes32) {
  PrivateKey key;
  ScopedKeypair kp;
  if (!secp256k1_keypair_create(Context(), &kp.kp, bytes32.data())) return std::nullopt;
  std::memcpy(key.secret_.data(), bytes32.data(), 32);
  std::memcpy(key.keypair_.data(), &kp.kp, sizeof(kp.kp));
  return key;
}

PrivateKey::~PrivateKey() {
  Wipe(secret_.data(), secret_.size());
  Wipe(keypair_.data(), keypair_.size());
}

XOnlyPubKeyBytes PrivateKey::PublicKey() const {
  ScopedKeypair kp;
  std::memcpy(&kp.kp, keypair_.data(), sizeof(kp.kp));
  secp256k1_xonly_pubkey xonly;
  XOnlyPubKeyBytes out;
  // Neither call can fail on a keypair that keypair_create accepted.
  if (!secp256k1_keypair_xonly_pub(Context(), &xonly, nullptr, &kp.kp) ||
      !secp256k1_xonly_pubkey_serialize(Context(), out.data(), &xonly)) {
    Fatal("secp256k1 rejected a valid keypair");
  }
  return out;
}

SchnorrSigBytes PrivateKey::Sign(const Uint256& msg32) const {
  uint8_t aux[32];
  GetOsRandom(aux, sizeof(aux));
  return Sign(msg32, aux);
}

SchnorrSigBytes PrivateKey::Sign(const Uint256& msg32,
                                 std::span<const uint8_t, 32> aux_rand32) const {
  ScopedKeypair kp;
  std::memcpy(&kp.kp, keypair_.data(), sizeof(kp.kp));
  SchnorrSigBytes sig;
  if (!secp256k1_schnorrsig_sign32(Context(), sig.data(), msg32.data(), &kp.kp,
                                   aux_rand32.data())) {
    Fatal("secp256k1_schnorrsig_sign32 failed on a valid keypair");
  }
  if (!VerifySchnorr(PublicKey(), msg32, sig)) Fatal("a fresh Schnorr signature does not verify");
  return sig;
}

bool VerifySchnorr(const XOnlyPubKeyBytes& pubkey, const Uint256& msg32,
                   const SchnorrSigBytes& sig64) {
  secp256k1_xonly_pubkey pk;
  if (!secp256k1_xonly_pubkey_parse(Context(), &pk, pubkey.data())) return false;
  return secp256k1_schnorrsig_verify(Context(), sig64.data(), msg32.data(), msg32.size(), &pk) == 1;
}

bool IsValidXOnlyPubKey(const XOnlyPubKeyBytes& pubkey) {
  secp256k1_xonly_pubkey pk;
  return secp256k1_xonly_pubkey_parse(Context(), &pk, pubkey.data()) == 1;
}

namespace {
// secp256k1_ecdh's hash hook, made to return x alone (EcdhXOnly's comment).
int CopyX(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::memcpy(output, x32, 32);
  return 1;
}
}  // namespace

bool EcdhXOnly(const PrivateKey& secret, const XOnlyPubKeyBytes& pubkey,
               std::array<uint8_t, 32>* shared32) {
  // The x-only key as the compressed point with even y; the sign drops out.
  uint8_t compressed[33];
  compressed[0] = 0x02;
  std::memcpy(compressed + 1, pubkey.data(), 32);
  secp256k1_pubkey point;
  if (!secp256k1_ec_pubkey_parse(Context(), &point, compressed, sizeof(compressed))) return false;
  return secp256k1_ecdh(Context(), shared32->data(), &point, secret.bytes().data(), CopyX,
                        nullptr) == 1;
}

}  // namespace cc
