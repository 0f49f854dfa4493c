// BIP32 derivation against the published test vectors 1 and 2, and the
// mapping of BIP32's compressed keys to our x-only BIP340 keys.
//
// BIP32 publishes each vector as Base58Check xprv/xpub strings; we do not
// implement that serialization, so the fields below (depth, parent
// fingerprint, child index, chain code, secret key, compressed public key)
// were read out of those strings once (Base58Check-decoded, 78-byte layout
// of BIP32's "Serialization format") and are compared field by field.

#include "wallet/hd.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/key.h"

namespace cc::wallet {
namespace {

struct Step {
  const char* name;  // the path element, "m" for the master key
  uint32_t index;    // the child index (ignored for "m")
  int depth;
  const char* parent_fingerprint;
  const char* chain_code;
  const char* secret;
  const char* pubkey;  // compressed, 33 bytes
};

std::vector<uint8_t> Hex(const char* hex) {
  std::vector<uint8_t> out;
  EXPECT_TRUE(ParseHex(hex, &out)) << hex;
  return out;
}

// Walks the steps from the seed: each row is the child of the previous one.
// Non-hardened steps are also derived from the parent's public key (CKDpub).
void CheckVector(const char* seed_hex, const std::vector<Step>& steps) {
  const std::vector<uint8_t> seed = Hex(seed_hex);
  ExtKey key;
  ASSERT_TRUE(ExtKey::FromSeed(seed, &key));
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    SCOPED_TRACE(std::string("step ") + std::to_string(i) + " (" + s.name + ")");
    const ExtPubKey parent_pub = key.Neuter();
    if (i > 0) {
      ASSERT_TRUE(key.Derive(s.index, &key));
    }
    EXPECT_EQ(key.depth(), s.depth);
    EXPECT_EQ(HexStr(key.parent_fingerprint()), s.parent_fingerprint);
    EXPECT_EQ(key.child(), i == 0 ? 0u : s.index);
    EXPECT_EQ(HexStr(key.chain_code()), s.chain_code);
    EXPECT_EQ(HexStr(key.secret()), s.secret);
    const ExtPubKey pub = key.Neuter();
    EXPECT_EQ(HexStr(pub.pubkey), s.pubkey);
    if (i > 0 && s.index < kHardened) {
      ExtPubKey derived;
      ASSERT_TRUE(parent_pub.Derive(s.index, &derived));
      EXPECT_EQ(derived, pub);
    }
  }
}

TEST(HdTest, Bip32Vector1) {
  CheckVector("000102030405060708090a0b0c0d0e0f",
              {
                  {"m", 0, 0, "00000000",
                   "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508",
                   "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35",
                   "0339a36013301597daef41fbe593a02cc513d0b55527ec2df1050e2e8ff49c85c2"},
                  {"0H", kHardened | 0, 1, "3442193e",
                   "47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141",
                   "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea",
                   "035a784662a4a20a65bf6aab9ae98a6c068a81c52e4b032c0fb5400c706cfccc56"},
                  {"1", 1, 2, "5c1bd648",
                   "2a7857631386ba23dacac34180dd1983734e444fdbf774041578e9b6adb37c19",
                   "3c6cb8d0f6a264c91ea8b5030fadaa8e538b020f0a387421a12de9319dc93368",
                   "03501e454bf00751f24b1b489aa925215d66af2234e3891c3b21a52bedb3cd711c"},
                  {"2H", kHardened | 2, 3, "bef5a2f9",
                   "04466b9cc8e161e966409ca52986c584f07e9dc81f735db683c3ff6ec7b1503f",
                   "cbce0d719ecf7431d88e6a89fa1483e02e35092af60c042b1df2ff59fa424dca",
                   "0357bfe1e341d01c69fe5654309956cbea516822fba8a601743a012a7896ee8dc2"},
                  {"2", 2, 4, "ee7ab90c",
                   "cfb71883f01676f587d023cc53a35bc7f88f724b1f8c2892ac1275ac822a3edd",
                   "0f479245fb19a38a1954c5c7c0ebab2f9bdfd96a17563ef28a6a4b1a2a764ef4",
                   "02e8445082a72f29b75ca48748a914df60622a609cacfce8ed0e35804560741d29"},
                  {"1000000000", 1000000000, 5, "d880d7d8",
                   "c783e67b921d2beb8f6b389cc646d7263b4145701dadd2161548a8b078e65e9e",
                   "471b76e389e528d6de6d816857e012c5455051cad6660850e58372a6c3e6e7c8",
                   "022a471424da5e657499d1ff51cb43c47481a03b1e77f951fe64cec9f5a48f7011"},
              });
}

TEST(HdTest, Bip32Vector2) {
  CheckVector(
      "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a878481"
      "7e7b7875726f6c696663605d5a5754514e4b484542",
      {
          {"m", 0, 0, "00000000",
           "60499f801b896d83179a4374aeb7822aaeaceaa0db1f85ee3e904c4defbd9689",
           "4b03d6fc340455b363f51020ad3ecca4f0850280cf436c70c727923f6db46c3e",
           "03cbcaa9c98c877a26977d00825c956a238e8dddfbd322cce4f74b0b5bd6ace4a7"},
          {"0", 0, 1, "bd16bee5",
           "f0909affaa7ee7abe5dd4e100598d4dc53cd709d5a5c2cac40e7412f232f7c9c",
           "abe74a98f6c7eabee0428f53798f0ab8aa1bd37873999041703c742f15ac7e1e",
           "02fc9e5af0ac8d9b3cecfe2a888e2117ba3d089d8585886c9c826b6b22a98d12ea"},
          {"2147483647H", kHardened | 2147483647, 2, "5a61ff8e",
           "be17a268474a6bb9c61e1d720cf6215e2a88c5406c4aee7b38547f585c9a37d9",
           "877c779ad9687164e9c2f4f0f4ff0340814392330693ce95a58fe18fd52e6e93",
           "03c01e7425647bdefa82b12d9bad5e3e6865bee0502694b94ca58b666abc0a5c3b"},
          {"1", 1, 3, "d8ab4937",
           "f366f48f1ea9f2d1d3fe958c95ca84ea18e4c4ddb9366c336c927eb246fb38cb",
           "704addf544a06e5ee4bea37098463c23613da32020d604506da8c0518e1da4b7",
           "03a7d1d856deb74c508e05031f9895dab54626251b3806e16b4bd12e781a7df5b9"},
          {"2147483646H", kHardened | 2147483646, 4, "78412e3a",
           "637807030d55d01f9a0cb3a7839515d796bd07706386a6eddf06cc29a65a0e29",
           "f1c7c871a54a804afe328b4c83a1c33b8e5ff48f5087273f04efa83b247d6a2d",
           "02d2b36900396c9282fa14628566582f206a5dd0bcc8d5e892611806cafb0301f0"},
          {"2", 2, 5, "31a507b8",
           "9452b549be8cea3ecb7a84bec10dcfd94afe4d129ebfd3b3cb58eedf394ed271",
           "bb7d39bdb83ecf58f2fd82b6d918341cbef428661ef01ab97c28a4842125ac23",
           "024d902e1a2fc7a8755ab5b694c575fce742c48d9ff192e63df5193e4c7afe1f9c"},
      });
}

TEST(HdTest, HardenedChildHasNoPublicDerivation) {
  ExtKey master;
  ASSERT_TRUE(ExtKey::FromSeed(Hex("000102030405060708090a0b0c0d0e0f"), &master));
  ExtPubKey out;
  EXPECT_FALSE(master.Neuter().Derive(kHardened | 0, &out));
}

TEST(HdTest, SeedLengthBounds) {
  ExtKey key;
  EXPECT_FALSE(ExtKey::FromSeed(std::vector<uint8_t>(kMinSeedSize - 1, 7), &key));
  EXPECT_TRUE(ExtKey::FromSeed(std::vector<uint8_t>(kMinSeedSize, 7), &key));
  EXPECT_TRUE(ExtKey::FromSeed(std::vector<uint8_t>(kMaxSeedSize, 7), &key));
  EXPECT_FALSE(ExtKey::FromSeed(std::vector<uint8_t>(kMaxSeedSize + 1, 7), &key));
}

// Our mapping: the x-only key is the compressed key without its parity byte,
// for even and odd y alike, and signatures made with the BIP32 secret verify
// under it (BIP340 negates the secret inside the signer when y is odd).
TEST(HdTest, XOnlyMappingSignsForBothParities) {
  ExtKey master;
  ASSERT_TRUE(ExtKey::FromSeed(Hex("000102030405060708090a0b0c0d0e0f"), &master));
  bool seen_even = false, seen_odd = false;
  for (uint32_t i = 0; i < 16 && !(seen_even && seen_odd); ++i) {
    ExtKey child;
    ASSERT_TRUE(master.Derive(i, &child));
    const ExtPubKey pub = child.Neuter();
    (pub.pubkey[0] == 0x02 ? seen_even : seen_odd) = true;
    const PrivateKey key = child.Key();
    EXPECT_EQ(key.PublicKey(), pub.XOnly());
    const Uint256 msg = TaggedHash("Computecoin/Test", AsBytes("hd mapping"));
    EXPECT_TRUE(VerifySchnorr(pub.XOnly(), msg, key.Sign(msg)));
  }
  EXPECT_TRUE(seen_even);
  EXPECT_TRUE(seen_odd);
}

TEST(HdTest, AccountPathThenPublicDerivationMatchesPrivate) {
  ExtKey master, account, child;
  ASSERT_TRUE(ExtKey::FromSeed(std::vector<uint8_t>(kSeedSize, 0x42), &master));
  const std::vector<uint32_t> path = AccountPath(kCoinTypeTest, 0);
  ASSERT_TRUE(master.DerivePath(path, &account));
  EXPECT_EQ(account.depth(), 3);
  const std::vector<uint32_t> rest = {kChangeChain, 5};
  ASSERT_TRUE(account.DerivePath(rest, &child));
  ExtPubKey pub_chain, pub_child;
  ASSERT_TRUE(account.Neuter().Derive(kChangeChain, &pub_chain));
  ASSERT_TRUE(pub_chain.Derive(5, &pub_child));
  EXPECT_EQ(pub_child, child.Neuter());
}

}  // namespace
}  // namespace cc::wallet
