// BIP340 keys and signatures (key.h) against the official test vectors
// (bitcoin/bips bip-0340/test-vectors.csv, vectors 0-14), plus the key
// lifecycle: generation, parsing, signing with fresh randomness, and use
// from several threads at once.

#include "chain/key.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "chain/hash.h"
#include "tests/chain/primitives_samples.h"

namespace cc {
namespace {

struct Bip340Vector {
  int index;
  const char* secret_key;  // empty: verification-only vector
  const char* public_key;
  const char* aux_rand;
  const char* message;
  const char* signature;
  bool valid;
};

// clang-format off
constexpr Bip340Vector kVectors[] = {
  {0, "0000000000000000000000000000000000000000000000000000000000000003", "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000", "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA821525F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0", true},
  {1, "B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "0000000000000000000000000000000000000000000000000000000000000001", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE33418906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A", true},
  {2, "C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9", "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8", "C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906", "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C", "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1BAB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7", true},
  {3, "0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710", "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3", true},
  {4, "", "D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9", "", "4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703", "00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C6376AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4", true},
  {5, "", "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B", false},  // public key not on the curve
  {6, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A14602975563CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2", false},  // has_even_y(R) is false
  {7, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD", false},  // negated message
  {8, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6", false},  // negated s value
  {9, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "0000000000000000000000000000000000000000000000000000000000000000123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051", false},  // sG - eP is infinite (x = 0)
  {10, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "00000000000000000000000000000000000000000000000000000000000000017615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197", false},  // sG - eP is infinite (x = 1)
  {11, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B", false},  // sig[0:32] not an x coordinate on the curve
  {12, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B", false},  // sig[0:32] equal to the field size
  {13, "", "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", false},  // sig[32:64] equal to the curve order
  {14, "", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30", "", "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89", "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E17776969E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B", false},  // public key exceeds the field size
};
// clang-format on

class KeyTest : public ::testing::Test {
 protected:
  template <size_t N>
  static std::array<uint8_t, N> Bytes(const std::string& hex) {
    const std::vector<uint8_t> v = test::FromHex(hex);
    EXPECT_EQ(v.size(), N);
    std::array<uint8_t, N> out{};
    std::copy_n(v.begin(), std::min(N, v.size()), out.begin());
    return out;
  }
  static Uint256 Msg(const std::string& hex) { return Uint256(Bytes<32>(hex)); }
  /// The key with this secret; throws (failing the test) if it is not one.
  static PrivateKey Key(const std::string& hex) {
    return PrivateKey::FromBytes(Bytes<32>(hex)).value();
  }
  static SchnorrSigBytes FlipBit(SchnorrSigBytes sig, size_t bit) {
    sig[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    return sig;
  }
};

TEST_F(KeyTest, Bip340SigningVectors) {
  for (const Bip340Vector& v : kVectors) {
    if (*v.secret_key == '\0') continue;
    const PrivateKey key = Key(v.secret_key);
    EXPECT_EQ(key.PublicKey(), Bytes<32>(v.public_key)) << "vector " << v.index;
    EXPECT_EQ(key.Sign(Msg(v.message), Bytes<32>(v.aux_rand)), Bytes<64>(v.signature))
        << "vector " << v.index;
  }
}

TEST_F(KeyTest, Bip340VerificationVectors) {
  for (const Bip340Vector& v : kVectors) {
    EXPECT_EQ(VerifySchnorr(Bytes<32>(v.public_key), Msg(v.message), Bytes<64>(v.signature)),
              v.valid)
        << "vector " << v.index;
  }
}

TEST_F(KeyTest, Bip340InvalidPublicKeysAreRecognised) {
  EXPECT_FALSE(IsValidXOnlyPubKey(Bytes<32>(kVectors[5].public_key)));   // not on the curve
  EXPECT_FALSE(IsValidXOnlyPubKey(Bytes<32>(kVectors[14].public_key)));  // >= field size
  EXPECT_TRUE(IsValidXOnlyPubKey(Bytes<32>(kVectors[1].public_key)));
}

TEST_F(KeyTest, FromBytesRejectsOutOfRangeScalars) {
  const std::string n = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";
  EXPECT_FALSE(PrivateKey::FromBytes(Bytes<32>(std::string(64, '0'))).has_value());
  EXPECT_FALSE(PrivateKey::FromBytes(Bytes<32>(n)).has_value());
  EXPECT_FALSE(PrivateKey::FromBytes(Bytes<32>(std::string(64, 'F'))).has_value());
  EXPECT_TRUE(PrivateKey::FromBytes(
                  Bytes<32>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364140"))
                  .has_value());  // n - 1
}

TEST_F(KeyTest, BytesGiveBackTheScalar) {
  const auto secret = Bytes<32>(kVectors[1].secret_key);
  const PrivateKey key = Key(kVectors[1].secret_key);
  EXPECT_TRUE(std::equal(secret.begin(), secret.end(), key.bytes().begin()));
}

TEST_F(KeyTest, GeneratedKeysDifferAndSign) {
  const PrivateKey a = PrivateKey::Generate();
  const PrivateKey b = PrivateKey::Generate();
  EXPECT_NE(a.PublicKey(), b.PublicKey());
  EXPECT_TRUE(IsValidXOnlyPubKey(a.PublicKey()));
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("pay"));
  EXPECT_TRUE(VerifySchnorr(a.PublicKey(), msg, a.Sign(msg)));
}

TEST_F(KeyTest, FreshRandomnessGivesDistinctValidSignatures) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("pay"));
  const SchnorrSigBytes s1 = key.Sign(msg);
  const SchnorrSigBytes s2 = key.Sign(msg);
  EXPECT_NE(s1, s2);
  EXPECT_TRUE(VerifySchnorr(key.PublicKey(), msg, s1));
  EXPECT_TRUE(VerifySchnorr(key.PublicKey(), msg, s2));
}

TEST_F(KeyTest, SignatureDoesNotVerifyForAnotherMessage) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("pay"));
  const Uint256 other = TaggedHash(tags::kBlockSig, AsBytes("pay"));
  EXPECT_FALSE(VerifySchnorr(key.PublicKey(), other, key.Sign(msg)));
}

TEST_F(KeyTest, SignatureDoesNotVerifyUnderAnotherKey) {
  const PrivateKey key = PrivateKey::Generate();
  const Uint256 msg = TaggedHash(tags::kSighash, AsBytes("pay"));
  EXPECT_FALSE(VerifySchnorr(PrivateKey::Generate().PublicKey(), msg, key.Sign(msg)));
}

TEST_F(KeyTest, EveryFlippedSignatureBitFails) {
  const PrivateKey key = Key(kVectors[1].secret_key);
  const Uint256 msg = Msg(kVectors[1].message);
  const SchnorrSigBytes sig = key.Sign(msg);
  for (size_t bit = 0; bit < 512; ++bit) {
    EXPECT_FALSE(VerifySchnorr(key.PublicKey(), msg, FlipBit(sig, bit))) << "bit " << bit;
  }
}

TEST_F(KeyTest, CopiesSignAlike) {
  const PrivateKey key = Key(kVectors[2].secret_key);
  const PrivateKey copy = key;
  const auto aux = Bytes<32>(kVectors[2].aux_rand);
  EXPECT_EQ(copy.Sign(Msg(kVectors[2].message), aux), key.Sign(Msg(kVectors[2].message), aux));
}

TEST_F(KeyTest, SignAndVerifyFromManyThreads) {
  // The shared context is initialised on first use from whichever thread
  // gets there first; every thread must see it ready.
  constexpr int kThreads = 4;
  std::vector<int> ok(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ok] {
      for (int i = 0; i < 25; ++i) {
        const PrivateKey key = PrivateKey::Generate();
        const Uint256 msg = TaggedHash(tags::kSighash, AsBytes(std::to_string(t * 100 + i)));
        ok[t] += VerifySchnorr(key.PublicKey(), msg, key.Sign(msg)) ? 1 : 0;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[t], 25) << "thread " << t;
}

// ECDH on x-only keys: both sides get the same secret whatever the parity of
// their points' y (about half of random keys have odd y), a third key gets
// another, and a key off the curve is refused.
TEST_F(KeyTest, EcdhXOnlyAgreesAcrossParities) {
  for (int i = 0; i < 16; ++i) {
    const PrivateKey a = PrivateKey::Generate(), b = PrivateKey::Generate();
    std::array<uint8_t, 32> ab, ba, ac;
    ASSERT_TRUE(EcdhXOnly(a, b.PublicKey(), &ab));
    ASSERT_TRUE(EcdhXOnly(b, a.PublicKey(), &ba));
    EXPECT_EQ(ab, ba);
    ASSERT_TRUE(EcdhXOnly(a, PrivateKey::Generate().PublicKey(), &ac));
    EXPECT_NE(ab, ac);
  }
  XOnlyPubKeyBytes off_curve;
  off_curve.fill(0xff);  // above the field prime
  std::array<uint8_t, 32> out;
  EXPECT_FALSE(EcdhXOnly(PrivateKey::Generate(), off_curve, &out));
}

}  // namespace
}  // namespace cc
