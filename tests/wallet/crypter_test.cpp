// Two-level encryption: round trips, a wrong passphrase, tampered bytes,
// parameters that survive serialization, and the KDF bounds.

#include "wallet/crypter.h"

#include <gtest/gtest.h>

#include <vector>

#include "chain/serialize.h"

namespace cc::wallet {
namespace {

class CrypterTest : public ::testing::Test {
 protected:
  // Cheap parameters so the tests run fast; the bounds still apply.
  CrypterTest() : params_(NewKdfParams(std::chrono::milliseconds(0), kMinLog2ScryptN)) {}

  SecureBytes Secret() const { return SecureBytes(32, 0x5a); }

  KdfParams params_;
};

TEST_F(CrypterTest, SecretRoundTrip) {
  SecureBytes key(kCryptoKeySize, 1);
  EncryptedSecret enc;
  ASSERT_TRUE(EncryptSecret(key, Secret(), AsBytes("hdseed"), &enc).ok());
  EXPECT_EQ(enc.ciphertext.size(), 32 + kTagSize);
  SecureBytes out;
  ASSERT_TRUE(DecryptSecret(key, enc, AsBytes("hdseed"), &out).ok());
  EXPECT_EQ(out, Secret());
}

TEST_F(CrypterTest, FreshNonceEachTime) {
  SecureBytes key(kCryptoKeySize, 1);
  EncryptedSecret a, b;
  ASSERT_TRUE(EncryptSecret(key, Secret(), AsBytes("x"), &a).ok());
  ASSERT_TRUE(EncryptSecret(key, Secret(), AsBytes("x"), &b).ok());
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.ciphertext, b.ciphertext);
}

TEST_F(CrypterTest, OtherAadRejected) {
  SecureBytes key(kCryptoKeySize, 1);
  EncryptedSecret enc;
  ASSERT_TRUE(EncryptSecret(key, Secret(), AsBytes("hdseed"), &enc).ok());
  SecureBytes out;
  const Status s = DecryptSecret(key, enc, AsBytes("other"), &out);
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_TRUE(out.empty());
}

TEST_F(CrypterTest, TamperedCiphertextRejected) {
  SecureBytes key(kCryptoKeySize, 1);
  EncryptedSecret enc;
  ASSERT_TRUE(EncryptSecret(key, Secret(), AsBytes("hdseed"), &enc).ok());
  for (size_t i = 0; i < enc.ciphertext.size(); i += 7) {
    EncryptedSecret bad = enc;
    bad.ciphertext[i] ^= 0x01;
    SecureBytes out;
    EXPECT_EQ(DecryptSecret(key, bad, AsBytes("hdseed"), &out).message(),
              "decryption failed: wrong key or tampered data")
        << "byte " << i;
  }
  EncryptedSecret bad_nonce = enc;
  bad_nonce.nonce[0] ^= 0x80;
  SecureBytes out;
  EXPECT_FALSE(DecryptSecret(key, bad_nonce, AsBytes("hdseed"), &out).ok());
  EncryptedSecret truncated = enc;
  truncated.ciphertext.resize(kTagSize - 1);
  EXPECT_TRUE(DecryptSecret(key, truncated, AsBytes("hdseed"), &out).IsCorruption());
}

TEST_F(CrypterTest, MasterKeyRoundTripAndWrongPassphrase) {
  SecureBytes master;
  MasterKeyRecord rec;
  ASSERT_TRUE(NewMasterKey("correct horse", params_, &master, &rec).ok());
  EXPECT_EQ(master.size(), kCryptoKeySize);
  SecureBytes back;
  ASSERT_TRUE(DecryptMasterKey(rec, "correct horse", &back).ok());
  EXPECT_EQ(back, master);
  const Status wrong = DecryptMasterKey(rec, "correct horsf", &back);
  EXPECT_TRUE(wrong.IsInvalidArgument());
  EXPECT_EQ(wrong.message(), "The wallet passphrase entered was incorrect.");
  EXPECT_TRUE(back.empty());
}

TEST_F(CrypterTest, EmptyPassphraseRefused) {
  SecureBytes master;
  MasterKeyRecord rec;
  EXPECT_TRUE(NewMasterKey("", params_, &master, &rec).IsInvalidArgument());
}

TEST_F(CrypterTest, ChangePassphraseKeepsMasterKey) {
  SecureBytes master, back;
  MasterKeyRecord rec;
  ASSERT_TRUE(NewMasterKey("old", params_, &master, &rec).ok());
  MasterKeyRecord rec2;
  ASSERT_TRUE(EncryptMasterKey(master, "new",
                               NewKdfParams(std::chrono::milliseconds(0), kMinLog2ScryptN), &rec2)
                  .ok());
  EXPECT_FALSE(DecryptMasterKey(rec2, "old", &back).ok());
  ASSERT_TRUE(DecryptMasterKey(rec2, "new", &back).ok());
  EXPECT_EQ(back, master);
}

TEST_F(CrypterTest, ParametersPersistThroughSerialization) {
  SecureBytes master;
  MasterKeyRecord rec;
  ASSERT_TRUE(NewMasterKey("pw", params_, &master, &rec).ok());
  const std::vector<uint8_t> bytes = Serialize(rec);
  MasterKeyRecord read;
  ASSERT_TRUE(Deserialize(bytes, &read).ok());
  EXPECT_EQ(read, rec);
  EXPECT_EQ(read.kdf.salt, params_.salt);
  EXPECT_EQ(read.kdf.log2_n, params_.log2_n);
  SecureBytes back;
  ASSERT_TRUE(DecryptMasterKey(read, "pw", &back).ok());
  EXPECT_EQ(back, master);
}

TEST_F(CrypterTest, OutOfRangeParametersRefused) {
  SecureBytes master, back;
  MasterKeyRecord rec;
  ASSERT_TRUE(NewMasterKey("pw", params_, &master, &rec).ok());
  MasterKeyRecord huge = rec;
  huge.kdf.log2_n = 40;  // 2^40 · 1 KiB: a tampered file must not make us try
  EXPECT_EQ(DecryptMasterKey(huge, "pw", &back).ToString(),
            "Corruption: scrypt N out of range: 2^40");
  MasterKeyRecord method = rec;
  method.kdf.method = 9;
  EXPECT_TRUE(DecryptMasterKey(method, "pw", &back).IsCorruption());
}

TEST_F(CrypterTest, CalibrationStaysInBounds) {
  const KdfParams p = NewKdfParams(std::chrono::milliseconds(20), kMinLog2ScryptN);
  EXPECT_GE(p.log2_n, kMinLog2ScryptN);
  EXPECT_LE(p.log2_n, kMaxLog2ScryptN);
  EXPECT_TRUE(CheckKdfParams(p).ok());
  EXPECT_NE(p.salt, params_.salt);
}

}  // namespace
}  // namespace cc::wallet
