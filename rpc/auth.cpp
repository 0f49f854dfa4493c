#include "rpc/auth.h"

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include <cryptopp/hmac.h>
#include <cryptopp/misc.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include "chain/file_io.h"
#include "chain/hash.h"

namespace cc::rpc {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string ToHex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * size, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return out;
}

// Equal-length digests compared with CryptoPP::VerifyBufsEqual, which reads
// every byte whatever the first difference: neither the position of a
// mismatch nor the length of the secret leaks through timing.
bool TimingResistantEqual(std::string_view a, std::string_view b) {
  const Uint256 ha = Sha256Hash(AsBytes(a));
  const Uint256 hb = Sha256Hash(AsBytes(b));
  return CryptoPP::VerifyBufsEqual(ha.data(), hb.data(), Uint256::kSize);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

void RpcAuthenticator::AddUserPassword(const std::string& user, const std::string& password) {
  plain_.push_back({user, password});
}

Status RpcAuthenticator::AddRpcAuth(std::string_view line) {
  const size_t colon = line.find(':');
  const size_t dollar = line.find('$', colon == std::string_view::npos ? 0 : colon);
  if (colon == std::string_view::npos || dollar == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("rpcauth must be user:salt$hmac, got '" + std::string(line) +
                                   "'");
  }
  Salted entry{std::string(line.substr(0, colon)),
               std::string(line.substr(colon + 1, dollar - colon - 1)),
               std::string(line.substr(dollar + 1))};
  if (entry.salt.empty()) return Status::InvalidArgument("rpcauth salt is empty");
  for (char& c : entry.hmac_hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (entry.hmac_hex.size() != 64 || !IsLowerHex(entry.hmac_hex)) {
    return Status::InvalidArgument("rpcauth hmac must be 64 hex digits");
  }
  salted_.push_back(std::move(entry));
  return Status::OK();
}

bool RpcAuthenticator::Check(std::string_view authorization, std::string* user) const {
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.substr(0, kScheme.size()) != kScheme) return false;
  std::optional<std::string> decoded = DecodeBase64(authorization.substr(kScheme.size()));
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view given_user = std::string_view(*decoded).substr(0, colon);
  const std::string_view given_password = std::string_view(*decoded).substr(colon + 1);

  for (const Plain& entry : plain_) {
    // Both compared (no short-circuit), so a right user name takes no
    // longer to reject than a wrong one.
    const bool user_ok = TimingResistantEqual(given_user, entry.user);
    const bool password_ok = TimingResistantEqual(given_password, entry.password);
    if (user_ok && password_ok) {
      *user = entry.user;
      return true;
    }
  }
  for (const Salted& entry : salted_) {
    const bool user_ok = TimingResistantEqual(given_user, entry.user);
    const std::string hmac = RpcAuthHmac(entry.salt, given_password);
    const bool hmac_ok = CryptoPP::VerifyBufsEqual(
        reinterpret_cast<const uint8_t*>(hmac.data()),
        reinterpret_cast<const uint8_t*>(entry.hmac_hex.data()), hmac.size());
    if (user_ok && hmac_ok) {
      *user = entry.user;
      return true;
    }
  }
  return false;
}

std::string RpcAuthHmac(std::string_view salt, std::string_view password) {
  CryptoPP::HMAC<CryptoPP::SHA256> hmac(reinterpret_cast<const uint8_t*>(salt.data()), salt.size());
  std::array<uint8_t, CryptoPP::SHA256::DIGESTSIZE> digest{};
  hmac.CalculateDigest(digest.data(), reinterpret_cast<const uint8_t*>(password.data()),
                       password.size());
  return ToHex(digest.data(), digest.size());
}

std::string BasicAuthHeader(std::string_view user, std::string_view password) {
  std::string credentials(user);
  credentials += ':';
  credentials += password;
  return "Basic " + EncodeBase64(credentials);
}

std::string EncodeBase64(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = static_cast<uint8_t>(data[i]) << 16 |
                       static_cast<uint8_t>(data[i + 1]) << 8 | static_cast<uint8_t>(data[i + 2]);
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const uint32_t n = static_cast<uint8_t>(data[i]) << 16 | static_cast<uint8_t>(data[i + 1]) << 8;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + static_cast<size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++padding;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after '='
      v[j] = Base64Value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const uint32_t n = static_cast<uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
    // Canonical form only: the bits a padding character hides must be zero.
    if ((padding == 1 && (n & 0xff) != 0) || (padding == 2 && (n & 0xffff) != 0))
      return std::nullopt;
    out += static_cast<char>(n >> 16);
    if (padding < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (padding < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

Status GenerateAuthCookie(const std::filesystem::path& path, std::string* password) {
  std::array<uint8_t, 32> secret{};
  CryptoPP::OS_GenerateRandomBlock(/*blocking=*/false, secret.data(), secret.size());
  const std::string hex = ToHex(secret.data(), secret.size());
  const std::string contents = std::string(kCookieUser) + ":" + hex;

  const Status s = WriteFileAtomically(path, contents, 0600);
  if (!s.ok()) return s;
  *password = hex;
  return Status::OK();
}

Status ReadAuthCookie(const std::filesystem::path& path, std::string* user, std::string* password) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open " + path.string());
  std::string line;
  std::getline(in, line);
  const size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::Corruption(path.string() + " is not user:password");
  }
  *user = line.substr(0, colon);
  *password = line.substr(colon + 1);
  return Status::OK();
}

void DeleteAuthCookie(const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
}

}  // namespace cc::rpc
