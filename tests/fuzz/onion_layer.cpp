// Fuzz target: what a holder does with an onion layer from a peer
// (node/onion.h PeelLayer, then net::DecodeOnionHop inside it), and what a
// client does with a sealed reply (OpenReply, net::DecodeOnionHopReply).
// The first byte picks the path; the rest is the attacker's bytes. Every
// input gets OK or a reason, never a crash; what decodes re-encodes to the
// same bytes (one encoding per value), and a peeled layer is within caps.

#include <algorithm>
#include <array>
#include <vector>

#include "chain/key.h"
#include "net/messages.h"
#include "node/onion.h"

#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const cc::ByteSpan rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {  // a layer, opened with a fixed holder key
      std::array<uint8_t, 32> secret{};
      secret[31] = 7;
      static const cc::PrivateKey holder = *cc::PrivateKey::FromBytes(secret);
      cc::net::OnionHop hop;
      cc::onion::HopKeys keys;
      const cc::Status s = cc::onion::PeelLayer(holder, rest, &hop, &keys);
      CC_FUZZ_CHECK(s.ok() || s.IsInvalidArgument());
      if (s.ok()) CC_FUZZ_CHECK(hop.inner.size() <= cc::net::kMaxOnionBytes);
      break;
    }
    case 1: {  // a sealed reply, opened with fixed keys
      cc::onion::HopKeys keys;
      keys.backward[0] = 1;
      cc::net::OnionHopReply reply;
      const cc::Status s = cc::onion::OpenReply(keys, rest, &reply);
      CC_FUZZ_CHECK(s.ok() || s.IsInvalidArgument());
      break;
    }
    case 2: {  // a layer's plaintext
      cc::net::OnionHop hop;
      if (cc::net::DecodeOnionHop(rest, &hop).ok()) {
        const std::vector<uint8_t> again = cc::net::EncodeOnionHop(hop);
        CC_FUZZ_CHECK(std::equal(again.begin(), again.end(), rest.begin(), rest.end()));
      }
      break;
    }
    default: {  // a reply's plaintext
      cc::net::OnionHopReply reply;
      if (cc::net::DecodeOnionHopReply(rest, &reply).ok()) {
        const std::vector<uint8_t> again = cc::net::EncodeOnionHopReply(reply);
        CC_FUZZ_CHECK(std::equal(again.begin(), again.end(), rest.begin(), rest.end()));
      }
      break;
    }
  }
  return 0;
}
