// Credentials: base64, the rpcauth HMAC, and the authenticator's decisions.

#include "rpc/auth.h"

#include <gtest/gtest.h>

namespace cc::rpc {
namespace {

TEST(Base64Test, KnownAnswers) {  // RFC 4648 §10
  EXPECT_EQ(EncodeBase64(""), "");
  EXPECT_EQ(EncodeBase64("f"), "Zg==");
  EXPECT_EQ(EncodeBase64("fo"), "Zm8=");
  EXPECT_EQ(EncodeBase64("foo"), "Zm9v");
  EXPECT_EQ(EncodeBase64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(DecodeBase64("Zm9vYg==").value(), "foob");
  EXPECT_EQ(DecodeBase64("Zm9vYmE=").value(), "fooba");
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(DecodeBase64(EncodeBase64(all)).value(), all);
}

TEST(Base64Test, RejectsNonCanonicalInput) {
  EXPECT_FALSE(DecodeBase64("Zm9"));       // length not a multiple of 4
  EXPECT_FALSE(DecodeBase64("Zm9v!A=="));  // bad character
  EXPECT_FALSE(DecodeBase64("Zg=a"));      // data after padding
  EXPECT_FALSE(DecodeBase64("Zh=="));      // non-zero bits under the padding
  EXPECT_FALSE(DecodeBase64("Zg==Zg=="));  // padding before the end
}

TEST(RpcAuthHmacTest, MatchesRfc4231) {  // test case 2: key "Jefe"
  EXPECT_EQ(RpcAuthHmac("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(RpcAuthenticatorTest, PlainCredentials) {
  RpcAuthenticator auth;
  EXPECT_TRUE(auth.empty());
  auth.AddUserPassword("u", "p:with:colons");
  std::string user;
  EXPECT_TRUE(auth.Check(BasicAuthHeader("u", "p:with:colons"), &user));
  EXPECT_EQ(user, "u");
  EXPECT_FALSE(auth.Check(BasicAuthHeader("u", "p:with:colon"), &user));
  EXPECT_FALSE(auth.Check(BasicAuthHeader("u", ""), &user));
  EXPECT_FALSE(auth.Check("Bearer " + EncodeBase64("u:p:with:colons"), &user));
  EXPECT_FALSE(auth.Check("Basic " + EncodeBase64("no colon"), &user));
  EXPECT_FALSE(auth.Check("", &user));
}

TEST(RpcAuthenticatorTest, RpcAuthLines) {
  RpcAuthenticator auth;
  const std::string salt = "8ea8b5c09a0c1d4e";
  ASSERT_TRUE(auth.AddRpcAuth("carol:" + salt + "$" + RpcAuthHmac(salt, "s3cret")).ok());
  std::string user;
  EXPECT_TRUE(auth.Check(BasicAuthHeader("carol", "s3cret"), &user));
  EXPECT_EQ(user, "carol");
  EXPECT_FALSE(auth.Check(BasicAuthHeader("carol", "s3cret "), &user));
}

TEST(RpcAuthenticatorTest, MalformedRpcAuthLinesAreRejected) {
  RpcAuthenticator auth;
  const std::string hmac(64, 'a');
  EXPECT_TRUE(auth.AddRpcAuth("nocolon").IsInvalidArgument());
  EXPECT_TRUE(auth.AddRpcAuth("user:salt-no-dollar").IsInvalidArgument());
  EXPECT_TRUE(auth.AddRpcAuth(":salt$" + hmac).IsInvalidArgument());
  EXPECT_TRUE(auth.AddRpcAuth("user:$" + hmac).IsInvalidArgument());
  EXPECT_TRUE(auth.AddRpcAuth("user:salt$abc").IsInvalidArgument());
  EXPECT_TRUE(auth.AddRpcAuth("user:salt$" + std::string(64, 'g')).IsInvalidArgument());
  EXPECT_TRUE(auth.empty());
  EXPECT_TRUE(auth.AddRpcAuth("user:salt$" + std::string(64, 'A')).ok());  // hex in either case
}

}  // namespace
}  // namespace cc::rpc
