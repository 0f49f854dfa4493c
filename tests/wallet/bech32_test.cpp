// Bech32/bech32m against the published vectors of BIP173 and BIP350 (valid
// and invalid strings, valid and invalid segwit addresses), then our
// addresses: version 1 + KeyHash, per-network hrp.

#include "wallet/bech32.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chain/hex.h"
#include "chain/key.h"
#include "chain/transaction.h"

namespace cc::wallet {
namespace {

std::string ToLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void ExpectValid(const std::vector<std::string>& strings, Encoding want) {
  for (const std::string& str : strings) {
    const DecodeResult dec = Decode(str);
    EXPECT_EQ(dec.encoding, want) << str;
    // Re-encoding gives back the string (in lower case).
    EXPECT_EQ(Encode(dec.encoding, dec.hrp, dec.data), ToLower(str)) << str;
  }
}

TEST(Bech32Test, Bip173ValidStrings) {
  ExpectValid({"A12UEL5L", "a12uel5l",
               "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharacters"
               "bio1tt5tgs",
               "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
               "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
               "qqc8247j",
               "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"},
              Encoding::kBech32);
}

TEST(Bech32Test, Bip350ValidStrings) {
  ExpectValid({"A1LQFN3A", "a1lqfn3a",
               "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber"
               "11sg7hg6",
               "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
               "11" + std::string(83, 'l') + "udsr8",
               "split1checkupstagehandshakeupstreamerranterredcaperredlc445v", "?1v759aa"},
              Encoding::kBech32m);
}

TEST(Bech32Test, Bip173InvalidStrings) {
  for (const std::string& str :
       {std::string(" 1nwldj5"), std::string("\x7f") + "1axkwrx", std::string("\x80") + "1eym55h",
        std::string("an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcha"
                    "ractersbio1569pvx"),
        std::string("pzry9x0s0muk"), std::string("1pzry9x0s0muk"), std::string("x1b4n0q5v"),
        std::string("li1dgmt3"), std::string("de1lg7wt") + "\xff", std::string("A1G7SGD8"),
        std::string("10a06t8"), std::string("1qzzfhee")}) {
    EXPECT_EQ(Decode(str).encoding, Encoding::kInvalid) << str;
  }
}

TEST(Bech32Test, Bip350InvalidStrings) {
  for (const std::string& str :
       {std::string(" 1xj0phk"), std::string("\x7f") + "1g6xzxy", std::string("\x80") + "1vctc34",
        std::string("an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbio"
                    "andnumber11d6pts4"),
        std::string("qyrz8wqd2c9m"), std::string("1qyrz8wqd2c9m"), std::string("y1b0jsk6g"),
        std::string("lt1igcx5c0"), std::string("in1muywd"), std::string("mm1crxm3i"),
        std::string("au1s5cgom"), std::string("M1VUXWEZ"), std::string("16plkw9"),
        std::string("1p2gdwpf")}) {
    EXPECT_EQ(Decode(str).encoding, Encoding::kInvalid) << str;
  }
}

// BIP350's valid addresses with their scriptPubKeys (version op, push, program).
TEST(Bech32Test, Bip350ValidAddresses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
       "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
      {"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
       "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"},
      {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
       "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"},
      {"BC1SW50QGDZ25J", "6002751e"},
      {"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"},
      {"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
       "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
      {"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
       "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"},
      {"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
       "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"},
  };
  for (const auto& [addr, script_hex] : cases) {
    const std::string hrp = ToLower(addr.substr(0, 2));
    uint8_t version = 0;
    std::vector<uint8_t> program;
    ASSERT_TRUE(DecodeSegwitAddress(hrp, addr, &version, &program).ok()) << addr;
    std::vector<uint8_t> script{static_cast<uint8_t>(version == 0 ? 0 : 0x50 + version),
                                static_cast<uint8_t>(program.size())};
    script.insert(script.end(), program.begin(), program.end());
    EXPECT_EQ(HexStr(script), script_hex) << addr;
    EXPECT_EQ(EncodeSegwitAddress(hrp, version, program), ToLower(addr));
  }
}

TEST(Bech32Test, Bip350InvalidAddresses) {
  for (const char* addr : {
           "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
           "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
           "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
           "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
           "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
           "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
           "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
           "bc1pw5dgrnzv",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
           "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
           "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
           "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
           "bc1gmk9yu",
       }) {
    uint8_t version = 0;
    std::vector<uint8_t> program;
    EXPECT_FALSE(DecodeSegwitAddress("bc", addr, &version, &program).ok()) << addr;
    EXPECT_FALSE(DecodeSegwitAddress("tb", addr, &version, &program).ok()) << addr;
  }
}

TEST(Bech32Test, OurAddressRoundTrip) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 hash = KeyHash(key.PublicKey());
  for (const char* hrp : {"cc", "tc", "dc", "rcc"}) {
    const std::string addr = EncodeAddress(hrp, hash);
    EXPECT_TRUE(addr.starts_with(std::string(hrp) + "1p")) << addr;  // "p" is version 1
    EXPECT_EQ(Decode(addr).encoding, Encoding::kBech32m);
    Uint256 back;
    ASSERT_TRUE(DecodeAddress(hrp, addr, &back).ok());
    EXPECT_EQ(back, hash);
  }
}

TEST(Bech32Test, OurAddressRejectsOtherNetworkAndVersion) {
  const Uint256 hash = KeyHash(PrivateKey::Generate().PublicKey());
  Uint256 out;
  const Status other = DecodeAddress("cc", EncodeAddress("rcc", hash), &out);
  ASSERT_TRUE(other.IsInvalidArgument());
  EXPECT_EQ(other.message(), "address is for another network (hrp 'rcc')");
  const std::vector<uint8_t> program(hash.begin(), hash.end());
  EXPECT_EQ(DecodeAddress("cc", EncodeSegwitAddress("cc", 0, program), &out).message(),
            "unsupported address version 0");
  EXPECT_EQ(DecodeAddress("cc", EncodeSegwitAddress("cc", 1, {1, 2, 3}), &out).message(),
            "address program must be 32 bytes");
  EXPECT_FALSE(DecodeAddress("cc", "not an address", &out).ok());
}

}  // namespace
}  // namespace cc::wallet
