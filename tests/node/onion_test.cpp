// Onion layers (node/onion.h): a route's onion peels hop by hop, each hop
// reading only its own instructions; replies open in route order at the
// client only; a layer under another key, an altered byte, and anything over
// the size caps are refused with a reason (and never allocated for).

#include "node/onion.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cc::onion {
namespace {

Uint256 Id(uint8_t b) {
  Uint256 u;
  u.data()[0] = b;
  return u;
}

net::OnionHop Instructions(uint8_t i) {
  net::OnionHop h;
  h.session = Id(i);
  h.state_root = Id(200);
  h.section_begin = i;
  h.section_end = i + 1;
  h.position = 7;
  h.payment.assign(10 + i, i);
  h.wait_ms = 1000u * (3 - i);
  return h;
}

class OnionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint8_t i = 0; i < 3; ++i) {
      holders_.push_back(PrivateKey::Generate());
      LayerKey key;
      ASSERT_TRUE(MakeLayerKey(holders_.back().PublicKey(), &key).ok());
      keys_.push_back(key);
      hops_.push_back(Instructions(i));
    }
    ASSERT_TRUE(BuildOnion(keys_, hops_, &onion_).ok());
  }

  std::vector<PrivateKey> holders_;
  std::vector<LayerKey> keys_;
  std::vector<net::OnionHop> hops_;
  std::vector<uint8_t> onion_;
};

TEST_F(OnionTest, EachHopPeelsOnlyItsOwnInstructions) {
  std::vector<uint8_t> layer = onion_;
  for (size_t i = 0; i < 3; ++i) {
    // No other hop's key opens this layer.
    for (size_t j = 0; j < 3; ++j) {
      if (j == i) continue;
      net::OnionHop wrong;
      HopKeys ignored;
      EXPECT_EQ(PeelLayer(holders_[j], layer, &wrong, &ignored).message(),
                "onion-bad-layer: does not decrypt");
    }
    net::OnionHop hop;
    HopKeys keys;
    ASSERT_TRUE(PeelLayer(holders_[i], layer, &hop, &keys).ok()) << i;
    EXPECT_EQ(keys, keys_[i].keys);
    EXPECT_EQ(hop.session, hops_[i].session);
    EXPECT_EQ(hop.section_begin, hops_[i].section_begin);
    EXPECT_EQ(hop.position, 7u);
    EXPECT_EQ(hop.payment, hops_[i].payment);
    EXPECT_EQ(hop.wait_ms, hops_[i].wait_ms);
    // The hop learns its successor's key and an opaque inner onion; none of
    // the later hops' fields appear in what it can read.
    if (i < 2) {
      EXPECT_EQ(hop.next, holders_[i + 1].PublicKey());
      const std::string inner(hop.inner.begin(), hop.inner.end());
      for (size_t later = i + 1; later < 3; ++later) {
        const std::string payment(hops_[later].payment.begin(), hops_[later].payment.end());
        EXPECT_EQ(inner.find(payment), std::string::npos);
        const std::string session(hops_[later].session.begin(), hops_[later].session.end());
        EXPECT_EQ(inner.find(session), std::string::npos);
      }
    } else {
      EXPECT_EQ(hop.next, XOnlyPubKeyBytes{});
      EXPECT_TRUE(hop.inner.empty());
    }
    layer = hop.inner;
  }
}

TEST_F(OnionTest, RepliesOpenInRouteOrderAtTheClientOnly) {
  // The last hop seals its output; each earlier hop seals the later reply.
  net::OnionHopReply last{.code = net::OnionHopCode::kOk, .body = {1, 2, 3}};
  std::vector<uint8_t> sealed;
  ASSERT_TRUE(SealReply(keys_[2].keys, last, &sealed).ok());
  for (size_t i = 2; i-- > 0;) {
    net::OnionHopReply r{.code = net::OnionHopCode::kOk, .receipt = Receipt{.tokens = 5}};
    r.body = sealed;
    ASSERT_TRUE(SealReply(keys_[i].keys, r, &sealed).ok());
  }
  net::OnionHopReply r;
  // Hop 1 cannot read hop 0's reply (nor the reverse direction's key open it).
  EXPECT_EQ(OpenReply(keys_[1].keys, sealed, &r).message(), "onion-bad-reply: does not decrypt");
  HopKeys forward_only = keys_[0].keys;
  forward_only.backward = forward_only.forward;
  EXPECT_FALSE(OpenReply(forward_only, sealed, &r).ok());
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(OpenReply(keys_[i].keys, sealed, &r).ok()) << i;
    sealed = r.body;
  }
  EXPECT_EQ(r, last);
}

TEST_F(OnionTest, TamperingIsDetected) {
  // Every byte of the layer is covered: the ephemeral key (the AAD and the
  // key derivation), the nonce, the ciphertext, the tag.
  for (size_t at : {size_t{0}, size_t{31}, size_t{32}, size_t{50}, onion_.size() / 2,
                    onion_.size() - 1}) {
    std::vector<uint8_t> bad = onion_;
    bad[at] ^= 0x01;
    net::OnionHop hop;
    HopKeys keys;
    const Status s = PeelLayer(holders_[0], bad, &hop, &keys);
    EXPECT_TRUE(s.IsInvalidArgument()) << at;
    EXPECT_EQ(s.message().rfind("onion-bad-layer", 0), 0u) << at << ": " << s.message();
  }
  std::vector<uint8_t> sealed;
  ASSERT_TRUE(SealReply(keys_[0].keys, net::OnionHopReply{.body = {4}}, &sealed).ok());
  sealed[sealed.size() / 2] ^= 0x80;
  net::OnionHopReply r;
  EXPECT_EQ(OpenReply(keys_[0].keys, sealed, &r).message(), "onion-bad-reply: does not decrypt");
  // A truncated layer: too short to hold a key, a nonce and a tag.
  net::OnionHop hop;
  HopKeys keys;
  EXPECT_EQ(PeelLayer(holders_[0], std::vector<uint8_t>(kLayerOverhead - 1), &hop, &keys).message(),
            "onion-bad-layer: too short");
}

TEST_F(OnionTest, WrongKeysAreRefused) {
  net::OnionHop hop;
  HopKeys keys;
  EXPECT_EQ(PeelLayer(PrivateKey::Generate(), onion_, &hop, &keys).message(),
            "onion-bad-layer: does not decrypt");
  // An ephemeral key that is not on the curve.
  std::vector<uint8_t> bad = onion_;
  std::fill(bad.begin(), bad.begin() + 32, 0xff);
  EXPECT_EQ(PeelLayer(holders_[0], bad, &hop, &keys).message(),
            "onion-bad-layer: ephemeral key not on the curve");
  XOnlyPubKeyBytes off_curve;
  off_curve.fill(0xff);
  LayerKey key;
  EXPECT_TRUE(MakeLayerKey(off_curve, &key).IsInvalidArgument());
  // Each route draws its own ephemeral keys: two routes over the same
  // holders share no key material a holder could link them by.
  LayerKey again;
  ASSERT_TRUE(MakeLayerKey(holders_[0].PublicKey(), &again).ok());
  EXPECT_NE(again.ephemeral, keys_[0].ephemeral);
  EXPECT_NE(again.keys, keys_[0].keys);
}

TEST_F(OnionTest, SizeCapsComeFirst) {
  net::OnionHop hop;
  HopKeys keys;
  // Over the cap: refused from the size alone, before any key work.
  EXPECT_EQ(PeelLayer(holders_[0], std::vector<uint8_t>(net::kMaxOnionBytes + 1), &hop, &keys)
                .message(),
            "onion-oversized");
  net::OnionHopReply r;
  EXPECT_EQ(OpenReply(keys_[0].keys, std::vector<uint8_t>(net::kMaxOnionReplyBytes + 1), &r)
                .message(),
            "onion-bad-reply: oversized");
  std::vector<uint8_t> sealed;
  EXPECT_TRUE(SealReply(keys_[0].keys,
                        net::OnionHopReply{.body = std::vector<uint8_t>(net::kMaxOnionReplyBytes)},
                        &sealed)
                  .IsInvalidArgument());
  // The longest route fits with full payment fields; one hop more does not build.
  std::vector<LayerKey> keys8;
  std::vector<net::OnionHop> hops8;
  for (size_t i = 0; i < net::kMaxOnionHops + 1; ++i) {
    LayerKey k;
    ASSERT_TRUE(MakeLayerKey(PrivateKey::Generate().PublicKey(), &k).ok());
    keys8.push_back(k);
    net::OnionHop h = Instructions(1);
    h.payment.assign(net::kMaxPaymentUpdate, 0xee);
    hops8.push_back(h);
  }
  std::vector<uint8_t> onion;
  EXPECT_TRUE(BuildOnion(keys8, hops8, &onion).IsInvalidArgument());
  keys8.pop_back();
  hops8.pop_back();
  ASSERT_TRUE(BuildOnion(keys8, hops8, &onion).ok());
  EXPECT_LE(onion.size(), net::kMaxOnionBytes);
  EXPECT_TRUE(BuildOnion({}, {}, &onion).IsInvalidArgument());
}

}  // namespace
}  // namespace cc::onion
