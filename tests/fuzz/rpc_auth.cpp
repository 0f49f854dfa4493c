// Fuzz target: RPC authentication (rpc/auth.h), what an unauthenticated
// client controls: the Authorization header, checked by
// RpcAuthenticator::Check against a plain user/password and an rpcauth line.
// The input is the header value. Beyond "no crash":
//   - a header is accepted only if it is exactly BasicAuthHeader() of the
//     known credentials (base64 decoding is strict, so there is one
//     encoding), and then names the right user;
//   - DecodeBase64 accepts only what EncodeBase64 gives back unchanged;
//   - the input as an rpcauth line is accepted or refused, never crashes,
//     and an accepted line checks its own user with the empty password
//     exactly when its hmac is that of the empty password.

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/auth.h"
#include "tests/fuzz/fuzz.h"

namespace {

constexpr std::string_view kUser = "alice";
constexpr std::string_view kPassword = "secret";
constexpr std::string_view kSaltedUser = "bob";
constexpr std::string_view kSaltedPassword = "hunter2";
constexpr std::string_view kSalt = "0123456789abcdef";

const cc::rpc::RpcAuthenticator& Authenticator() {
  static cc::rpc::RpcAuthenticator* auth = [] {
    auto* a = new cc::rpc::RpcAuthenticator();
    a->AddUserPassword(std::string(kUser), std::string(kPassword));
    const std::string line = std::string(kSaltedUser) + ":" + std::string(kSalt) + "$" +
                             cc::rpc::RpcAuthHmac(kSalt, kSaltedPassword);
    CC_FUZZ_CHECK(a->AddRpcAuth(line).ok());
    return a;
  }();
  return *auth;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string user;
  if (Authenticator().Check(input, &user)) {
    const bool plain = input == cc::rpc::BasicAuthHeader(kUser, kPassword);
    const bool salted = input == cc::rpc::BasicAuthHeader(kSaltedUser, kSaltedPassword);
    CC_FUZZ_CHECK(plain || salted);
    CC_FUZZ_CHECK(user == (plain ? kUser : kSaltedUser));
  }

  const std::optional<std::string> decoded = cc::rpc::DecodeBase64(input);
  if (decoded) CC_FUZZ_CHECK(cc::rpc::EncodeBase64(*decoded) == input);
  const std::string encoded = cc::rpc::EncodeBase64(input);
  CC_FUZZ_CHECK(cc::rpc::DecodeBase64(encoded) == std::optional<std::string>(input));

  cc::rpc::RpcAuthenticator from_line;
  if (from_line.AddRpcAuth(input).ok()) {
    const size_t colon = input.find(':');
    const size_t dollar = input.find('$', colon);
    const std::string_view line_user = input.substr(0, colon);
    const std::string_view salt = input.substr(colon + 1, dollar - colon - 1);
    std::string hmac(input.substr(dollar + 1));
    for (char& c : hmac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string who;
    const bool accepted = from_line.Check(cc::rpc::BasicAuthHeader(line_user, ""), &who);
    CC_FUZZ_CHECK(accepted == (cc::rpc::RpcAuthHmac(salt, "") == hmac));
    if (accepted) CC_FUZZ_CHECK(who == line_user);
  } else {
    CC_FUZZ_CHECK(from_line.empty());
  }
  return 0;
}
