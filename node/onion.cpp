#include "node/onion.h"

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>
#include <cryptopp/hkdf.h>
#include <cryptopp/sha.h>

#include <cstring>
#include <string_view>

#include "wallet/secure.h"

namespace cc::onion {
namespace {

constexpr std::string_view kKdfInfo = "computecoin/onion/v1";
constexpr std::string_view kReplyAad = "computecoin/onion/reply";
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Both sides' keys from the ECDH secret, bound to the two public keys.
HopKeys DeriveKeys(const std::array<uint8_t, 32>& shared, const XOnlyPubKeyBytes& ephemeral,
                   const XOnlyPubKeyBytes& holder) {
  uint8_t salt[64];
  std::memcpy(salt, ephemeral.data(), 32);
  std::memcpy(salt + 32, holder.data(), 32);
  uint8_t okm[64];
  CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
  hkdf.DeriveKey(okm, sizeof(okm), shared.data(), shared.size(), salt, sizeof(salt),
                 reinterpret_cast<const CryptoPP::byte*>(kKdfInfo.data()), kKdfInfo.size());
  HopKeys keys;
  std::memcpy(keys.forward.data(), okm, 32);
  std::memcpy(keys.backward.data(), okm + 32, 32);
  std::memset(okm, 0, sizeof(okm));
  return keys;
}

// nonce ‖ AES-256-GCM(key, nonce, plaintext, aad) ‖ tag, appended to *out.
void Seal(const std::array<uint8_t, 32>& key, ByteSpan plaintext, ByteSpan aad,
          std::vector<uint8_t>* out) {
  const size_t at = out->size();
  out->resize(at + kNonceSize + plaintext.size() + kTagSize);
  uint8_t* nonce = out->data() + at;
  wallet::GetStrongRandBytes(std::span<uint8_t>(nonce, kNonceSize));
  uint8_t* cipher = nonce + kNonceSize;
  CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
  enc.SetKeyWithIV(key.data(), key.size(), nonce, kNonceSize);
  enc.EncryptAndAuthenticate(cipher, cipher + plaintext.size(), kTagSize, nonce, kNonceSize,
                             aad.data(), aad.size(), plaintext.data(), plaintext.size());
}

// The inverse of Seal on nonce ‖ ciphertext ‖ tag. False when too short, or
// when the tag does not verify (another key, or altered bytes).
bool Open(const std::array<uint8_t, 32>& key, ByteSpan sealed, ByteSpan aad,
          std::vector<uint8_t>* plaintext) {
  if (sealed.size() < kNonceSize + kTagSize) return false;
  const size_t len = sealed.size() - kNonceSize - kTagSize;
  plaintext->resize(len);
  const uint8_t* nonce = sealed.data();
  const uint8_t* cipher = nonce + kNonceSize;
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
  dec.SetKeyWithIV(key.data(), key.size(), nonce, kNonceSize);
  return dec.DecryptAndVerify(plaintext->data(), cipher + len, kTagSize, nonce, kNonceSize,
                              aad.data(), aad.size(), cipher, len);
}

}  // namespace

Status MakeLayerKey(const XOnlyPubKeyBytes& holder, LayerKey* out) {
  const PrivateKey ephemeral = PrivateKey::Generate();
  std::array<uint8_t, 32> shared;
  if (!EcdhXOnly(ephemeral, holder, &shared))
    return Status::InvalidArgument("the holder's onion key is not on the curve");
  out->holder = holder;
  out->ephemeral = ephemeral.PublicKey();
  out->keys = DeriveKeys(shared, out->ephemeral, holder);
  return Status::OK();
}

Status BuildOnion(const std::vector<LayerKey>& keys, std::vector<net::OnionHop> hops,
                  std::vector<uint8_t>* out) {
  if (hops.empty() || hops.size() > net::kMaxOnionHops)
    return Status::InvalidArgument("an onion route has 1 to " +
                                   std::to_string(net::kMaxOnionHops) + " hops");
  // Innermost first: the last hop's layer is inside every other one.
  std::vector<uint8_t> inner;
  for (size_t i = hops.size(); i-- > 0;) {
    net::OnionHop& hop = hops[i];
    hop.next = i + 1 < hops.size() ? keys[i + 1].holder : XOnlyPubKeyBytes{};
    hop.inner = std::move(inner);
    const std::vector<uint8_t> plaintext = net::EncodeOnionHop(hop);
    std::vector<uint8_t> layer(keys[i].ephemeral.begin(), keys[i].ephemeral.end());
    Seal(keys[i].keys.forward, plaintext, keys[i].ephemeral, &layer);
    if (layer.size() > net::kMaxOnionBytes)
      return Status::InvalidArgument("the onion is over " + std::to_string(net::kMaxOnionBytes) +
                                     " bytes");
    inner = std::move(layer);
  }
  *out = std::move(inner);
  return Status::OK();
}

Status PeelLayer(const PrivateKey& ours, ByteSpan layer, net::OnionHop* out, HopKeys* keys) {
  if (layer.size() > net::kMaxOnionBytes) return Status::InvalidArgument("onion-oversized");
  if (layer.size() < kLayerOverhead)
    return Status::InvalidArgument("onion-bad-layer: too short");
  XOnlyPubKeyBytes ephemeral;
  std::memcpy(ephemeral.data(), layer.data(), ephemeral.size());
  std::array<uint8_t, 32> shared;
  if (!EcdhXOnly(ours, ephemeral, &shared))
    return Status::InvalidArgument("onion-bad-layer: ephemeral key not on the curve");
  const HopKeys derived = DeriveKeys(shared, ephemeral, ours.PublicKey());
  std::vector<uint8_t> plaintext;
  if (!Open(derived.forward, layer.subspan(ephemeral.size()), ephemeral, &plaintext))
    return Status::InvalidArgument("onion-bad-layer: does not decrypt");
  net::OnionHop hop;
  if (!net::DecodeOnionHop(plaintext, &hop).ok())
    return Status::InvalidArgument("onion-bad-layer: malformed instructions");
  *out = std::move(hop);
  *keys = derived;
  return Status::OK();
}

Status SealReply(const HopKeys& keys, const net::OnionHopReply& reply, std::vector<uint8_t>* out) {
  const std::vector<uint8_t> plaintext = net::EncodeOnionHopReply(reply);
  if (plaintext.size() + kReplyOverhead > net::kMaxOnionReplyBytes)
    return Status::InvalidArgument("onion-reply-oversized");
  out->clear();
  Seal(keys.backward, plaintext, AsBytes(kReplyAad), out);
  return Status::OK();
}

Status OpenReply(const HopKeys& keys, ByteSpan sealed, net::OnionHopReply* out) {
  if (sealed.size() > net::kMaxOnionReplyBytes)
    return Status::InvalidArgument("onion-bad-reply: oversized");
  std::vector<uint8_t> plaintext;
  if (!Open(keys.backward, sealed, AsBytes(kReplyAad), &plaintext))
    return Status::InvalidArgument("onion-bad-reply: does not decrypt");
  if (!net::DecodeOnionHopReply(plaintext, out).ok())
    return Status::InvalidArgument("onion-bad-reply: malformed");
  return Status::OK();
}

}  // namespace cc::onion
