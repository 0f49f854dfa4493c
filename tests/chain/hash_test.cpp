// SHA-256, double SHA-256 and tagged hashes against published and
// independently computed answers, plus Uint256's hex form.
//
// The literals marked "sha256sum" were produced with coreutils, e.g.
//   th=$(printf 'Computecoin/KeyHash' | sha256sum | cut -d' ' -f1)
//   (printf "$th$th" | xxd -r -p; head -c 32 /dev/zero) | sha256sum

#include "chain/hash.h"

#include <gtest/gtest.h>
#include <secp256k1.h>

#include <string>
#include <vector>

#include "chain/uint256.h"

namespace cc {
namespace {

class HashTest : public ::testing::Test {
 protected:
  static std::string Sha(std::string_view s) { return Sha256Hash(AsBytes(s)).ToHex(); }
  static std::string Sha(const std::vector<uint8_t>& b) { return Sha256Hash(b).ToHex(); }
  static std::vector<uint8_t> Concat(std::initializer_list<ByteSpan> parts) {
    std::vector<uint8_t> out;
    for (ByteSpan p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
  }
  /// SHA-256 through Sha256Compress alone: FIPS 180-4 §5.1.1 padding done
  /// here byte by byte, each block read as big-endian words.
  static Uint256 ShaByBlocks(ByteSpan msg) {
    std::vector<uint8_t> padded(msg.begin(), msg.end());
    padded.push_back(0x80);
    while (padded.size() % 64 != 56) padded.push_back(0);
    const uint64_t bits = 8 * uint64_t{msg.size()};
    for (int shift = 56; shift >= 0; shift -= 8) padded.push_back(uint8_t(bits >> shift));
    Sha256State state = kSha256InitialState;
    for (size_t at = 0; at < padded.size(); at += 64) {
      Sha256Block block;
      for (int i = 0; i < 16; ++i) {
        const uint8_t* b = &padded[at + 4 * i];
        block.w[i] = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
      }
      Sha256Compress(&state, block);
    }
    return Sha256Digest(state);
  }
};

// FIPS 180-2 appendix B vectors.
TEST_F(HashTest, Sha256Abc) {
  EXPECT_EQ(Sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(HashTest, Sha256Empty) {
  EXPECT_EQ(Sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(HashTest, Sha256TwoBlockMessage) {
  EXPECT_EQ(Sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_F(HashTest, Sha256MillionA) {
  EXPECT_EQ(Sha(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_F(HashTest, CompressionFunctionGivesFipsVectors) {
  EXPECT_EQ(ShaByBlocks(AsBytes("abc")).ToHex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string_view two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(ShaByBlocks(AsBytes(two_blocks)).ToHex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST_F(HashTest, CompressionFunctionMatchesSha256AtEveryLength) {
  // Lengths around both padding boundaries (55/56 and 119/120 bytes).
  std::vector<uint8_t> msg;
  for (size_t n = 0; n <= 200; ++n) {
    EXPECT_EQ(ShaByBlocks(msg), Sha256Hash(msg)) << n << " bytes";
    msg.push_back(static_cast<uint8_t>(n * 37 + 11));
  }
}

TEST_F(HashTest, IncrementalEqualsOneShotAtEverySplit) {
  const std::string msg(200, 'x');
  const Uint256 whole = Sha256Hash(AsBytes(msg));
  for (size_t split = 0; split <= msg.size(); ++split) {
    Sha256 h;
    h.Write(AsBytes(msg).first(split)).Write(AsBytes(msg).subspan(split));
    EXPECT_EQ(h.Finalize(), whole) << "split at " << split;
  }
}

TEST_F(HashTest, DoubleSha256IsShaOfSha) {
  // sha256sum: printf abc | openssl dgst -sha256 -binary | sha256sum
  EXPECT_EQ(Hash256(AsBytes("abc")).ToHex(),
            "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
  EXPECT_EQ(Hash256(AsBytes("abc")), Sha256Hash(Sha256Hash(AsBytes("abc")).span()));
}

TEST_F(HashTest, TaggedHashIsShaOfTwoTagHashesAndMessage) {
  const Uint256 tag = Sha256Hash(AsBytes("BIP0340/challenge"));
  const std::vector<uint8_t> preimage = Concat({tag.span(), tag.span(), AsBytes("abc")});
  EXPECT_EQ(TaggedHash("BIP0340/challenge", AsBytes("abc")), Sha256Hash(preimage));
}

TEST_F(HashTest, TaggedHashMatchesLibsecp256k1) {
  // libsecp256k1 implements BIP340's tagged hash on its own SHA-256.
  const std::string tag = "BIP0340/challenge";
  const std::string msg = "abc";
  Uint256 theirs;
  ASSERT_EQ(secp256k1_tagged_sha256(secp256k1_context_static, theirs.data(),
                                    reinterpret_cast<const unsigned char*>(tag.data()), tag.size(),
                                    reinterpret_cast<const unsigned char*>(msg.data()), msg.size()),
            1);
  EXPECT_EQ(TaggedHash(tag, AsBytes(msg)), theirs);
}

TEST_F(HashTest, TaggedHashKnownAnswers) {
  // sha256sum (see the file comment).
  EXPECT_EQ(TaggedHash("BIP0340/challenge", AsBytes("abc")).ToHex(),
            "770a5b7e7c304bbcc3ea107343ff951dd404312ef418db0c3b94e2ebfbb50087");
  const std::vector<uint8_t> zero_key(32, 0);
  EXPECT_EQ(TaggedHash(tags::kKeyHash, zero_key).ToHex(),
            "8ab771e81375014ac0af8040eda32ecf9f227fcbbba4f5ae9c966b20e622ee5d");
}

TEST_F(HashTest, TaggedHasherContinuesLikeTaggedHash) {
  EXPECT_EQ(Sha256::Tagged(tags::kSighash).Write(AsBytes("ab")).Write(AsBytes("c")).Finalize(),
            TaggedHash(tags::kSighash, AsBytes("abc")));
}

TEST_F(HashTest, EveryTagSeparatesTheSameMessage) {
  const std::string_view all[] = {
      tags::kSighash, tags::kBlockSig,  tags::kKeyHash,   tags::kWorkRecord,  tags::kWorkSig,
      tags::kTensor,  tags::kStateLeaf, tags::kDataChunk, tags::kModelConfig, tags::kWeightInit};
  std::vector<Uint256> hashes;
  for (std::string_view tag : all) hashes.push_back(TaggedHash(tag, AsBytes("same bytes")));
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (size_t j = i + 1; j < hashes.size(); ++j) EXPECT_NE(hashes[i], hashes[j]) << all[i];
  }
}

TEST_F(HashTest, Uint256HexRoundTripsInHashOrder) {
  const std::string hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const std::optional<Uint256> v = Uint256::FromHex(hex);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->ToHex(), hex);
  EXPECT_EQ(v->data()[0], 0xba);  // no Bitcoin-style byte reversal
  EXPECT_EQ(Uint256::FromHex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"),
            v);
}

TEST_F(HashTest, Uint256FromHexRejectsBadText) {
  const std::string good(64, 'a');
  EXPECT_FALSE(Uint256::FromHex(good.substr(1)).has_value());
  EXPECT_FALSE(Uint256::FromHex(good + "a").has_value());
  EXPECT_FALSE(Uint256::FromHex("g" + good.substr(1)).has_value());
  EXPECT_FALSE(Uint256::FromHex(" " + good.substr(1)).has_value());
  EXPECT_FALSE(Uint256::FromHex("").has_value());
}

TEST_F(HashTest, Uint256DefaultIsZeroAndOrdersBytewise) {
  EXPECT_TRUE(Uint256().IsZero());
  const Uint256 small = *Uint256::FromHex("00ff" + std::string(60, '0'));
  const Uint256 large = *Uint256::FromHex("0100" + std::string(60, '0'));
  EXPECT_FALSE(small.IsZero());
  EXPECT_LT(small, large);
}

}  // namespace
}  // namespace cc
