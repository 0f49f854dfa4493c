// RPC authentication: HTTP Basic credentials checked against
//   - the cookie: user "__cookie__" and a random password the node writes to
//     "<network datadir>/.cookie" as "__cookie__:<64 hex>" at start (mode
//     0600) and deletes at stop, so local tools authenticate by reading a
//     file only the node's user can read;
//   - rpcuser/rpcpassword;
//   - rpcauth=<user>:<salt>$<hmac>, where hmac is the hex HMAC-SHA256 of the
//     password keyed with the salt's characters. The config then holds no
//     password. Bitcoin Core's share/rpcauth/rpcauth.py writes the same lines.
// Every comparison runs in time independent of where the inputs differ.
//
// Thread safety: build the RpcAuthenticator before the server starts; Check()
// is const and may then run concurrently.

#ifndef COMPUTECOIN_RPC_AUTH_H
#define COMPUTECOIN_RPC_AUTH_H

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/status.h"

namespace cc::rpc {

inline constexpr std::string_view kCookieUser = "__cookie__";
inline constexpr std::string_view kCookieFileName = ".cookie";

class RpcAuthenticator {
 public:
  /// Accepts `user` with `password` (rpcuser/rpcpassword, or the cookie).
  void AddUserPassword(const std::string& user, const std::string& password);

  /// Accepts the credentials an rpcauth line describes: "user:salt$hmac",
  /// hmac 64 hex digits. Returns InvalidArgument naming the problem
  /// ("rpcauth must be user:salt$hmac", ...) and adds nothing.
  Status AddRpcAuth(std::string_view line);

  /// True if no credentials were added: every request would be refused.
  bool empty() const { return plain_.empty() && salted_.empty(); }

  /// Checks an Authorization header value, "Basic <base64(user:password)>".
  /// Returns true and sets *user on a match; false for any malformed header
  /// or unknown credentials. REQUIRES: user is not null.
  [[nodiscard]] bool Check(std::string_view authorization, std::string* user) const;

 private:
  struct Plain {
    std::string user;
    std::string password;
  };
  struct Salted {
    std::string user;
    std::string salt;
    std::string hmac_hex;  //!< lower case
  };
  std::vector<Plain> plain_;
  std::vector<Salted> salted_;
};

/// The rpcauth hash: hex HMAC-SHA256(key = salt's bytes, message = password).
std::string RpcAuthHmac(std::string_view salt, std::string_view password);

/// "Basic <base64(user:password)>", the Authorization header a client sends.
std::string BasicAuthHeader(std::string_view user, std::string_view password);

/// Standard base64 (RFC 4648, with padding).
std::string EncodeBase64(std::string_view data);
/// Strict decoding: returns nullopt for bad characters, length or padding.
std::optional<std::string> DecodeBase64(std::string_view text);

/// Writes a fresh cookie "__cookie__:<64 hex of 32 random bytes>" to `path`
/// (via a temporary file and a rename, mode 0600) and sets *password to the
/// hex part. Returns IOError if the file cannot be written.
Status GenerateAuthCookie(const std::filesystem::path& path, std::string* password);

/// Reads a cookie file into *user and *password. Returns NotFound if the
/// file does not exist, Corruption if it is not "user:password".
Status ReadAuthCookie(const std::filesystem::path& path, std::string* user, std::string* password);

/// Removes the cookie file; a missing file is not an error.
void DeleteAuthCookie(const std::filesystem::path& path);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_AUTH_H
