// Onion layers for inference routing (doc/inference.md "Onion routing").
//
// A client that routes a step through hops h_1 … h_n wraps each hop's
// instructions (net::OnionHop: its session, range, position, payment, the
// next hop's key and the next hop's layer) in a layer only that hop can open:
//
//   layer  = ephemeral:bytes32 nonce:bytes12 ciphertext tag:bytes16
//   shared = x(e · H) = x(h · E)             ECDH on secp256k1 (EcdhXOnly), e the
//                                            ephemeral secret, H = h·G the hop's
//                                            onion key (serveinfo)
//   keys   = HKDF-SHA256(ikm = shared, salt = E ‖ H, info = "computecoin/onion/v1", 64)
//            forward = keys[0, 32), backward = keys[32, 64)
//   ciphertext ‖ tag = AES-256-GCM(forward, nonce, plaintext = OnionHop, aad = E)
//
// and seals each hop's reply (net::OnionHopReply, which holds the next hop's
// sealed reply) with the backward key: nonce:bytes12 ciphertext tag:bytes16,
// aad "computecoin/onion/reply". So the client alone opens every reply, in
// route order, and a hop sees its own instructions only.
//
// The ephemeral key is drawn per hop and per route (one request), and reused
// for each step of that request: a hop already links the steps of one
// request by their session id, and nothing else. Nonces are random: at most
// a few thousand seals per key, far from GCM's 2^32 bound for random nonces.
//
// Thread safety: values and functions of their arguments only.

#ifndef COMPUTECOIN_NODE_ONION_H
#define COMPUTECOIN_NODE_ONION_H

#include <array>
#include <cstdint>
#include <vector>

#include "chain/key.h"
#include "chain/status.h"
#include "net/messages.h"

namespace cc::onion {

/** Bytes a layer adds to its plaintext: the ephemeral key, the nonce, the tag. */
inline constexpr size_t kLayerOverhead = 32 + 12 + 16;
/** Bytes a sealed reply adds to its plaintext: the nonce and the tag. */
inline constexpr size_t kReplyOverhead = 12 + 16;

/// The two keys one hop and the client share for a route.
struct HopKeys {
  std::array<uint8_t, 32> forward{};   //!< seals the hop's layer
  std::array<uint8_t, 32> backward{};  //!< seals the hop's reply
  bool operator==(const HopKeys&) const = default;
};

/// The client's side of one hop of a route.
struct LayerKey {
  XOnlyPubKeyBytes holder{};     //!< the hop's onion key
  XOnlyPubKeyBytes ephemeral{};  //!< drawn for this route; sent in each layer
  HopKeys keys;
};

/** Draws an ephemeral key for a hop whose onion key is `holder` and derives
 *  the keys the hop will derive. Returns InvalidArgument when `holder` is
 *  not a key on the curve. REQUIRES: out not null. */
Status MakeLayerKey(const XOnlyPubKeyBytes& holder, LayerKey* out);

/** The onion for a route: hops[i] sealed to keys[i], each holding the next
 *  one. Sets each hop's next and inner (what the caller put there is
 *  replaced). Returns InvalidArgument when the route is empty, longer than
 *  kMaxOnionHops, or the onion would exceed kMaxOnionBytes.
 *  REQUIRES: keys.size() == hops.size(); out not null. */
Status BuildOnion(const std::vector<LayerKey>& keys, std::vector<net::OnionHop> hops,
                  std::vector<uint8_t>* out);

/** The holder's side: opens `layer` with its onion key. Returns OK with the
 *  instructions and the keys to seal the reply with; InvalidArgument with a
 *  reason otherwise: "onion-oversized" (over kMaxOnionBytes, checked before
 *  anything else), "onion-bad-layer: …" (too short, an ephemeral key not on
 *  the curve, a layer that does not decrypt under our key or was altered, or
 *  instructions that do not decode). REQUIRES: out and keys not null. */
Status PeelLayer(const PrivateKey& ours, ByteSpan layer, net::OnionHop* out, HopKeys* keys);

/** A hop's reply sealed with its backward key. InvalidArgument when the
 *  sealed reply would exceed kMaxOnionReplyBytes. REQUIRES: out not null. */
Status SealReply(const HopKeys& keys, const net::OnionHopReply& reply, std::vector<uint8_t>* out);

/** Opens a hop's sealed reply (the client). Returns OK with *out, or
 *  InvalidArgument "onion-bad-reply: …" for one that is oversized, does not
 *  decrypt or was altered, or does not decode. REQUIRES: out not null. */
Status OpenReply(const HopKeys& keys, ByteSpan sealed, net::OnionHopReply* out);

}  // namespace cc::onion

#endif  // COMPUTECOIN_NODE_ONION_H
