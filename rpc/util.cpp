#include "rpc/util.h"

namespace cc::rpc {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Uint256 ParseHashArg(const json& value, std::string_view name) {
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (text.size() != 2 * Uint256::kSize) {
    throw RpcError(kRpcInvalidParameter, std::string(name) + " must be of length 64 (not " +
                                             std::to_string(text.size()) + ", for '" + text + "')");
  }
  const std::optional<Uint256> hash = Uint256::FromHex(text);
  if (!hash) {
    throw RpcError(kRpcInvalidParameter,
                   std::string(name) + " must be hexadecimal string (not '" + text + "')");
  }
  return *hash;
}

int64_t ParseIntArg(const json& value, std::string_view name, int64_t min, int64_t max,
                    const std::string& range_message) {
  if (!value.is_number_integer()) {
    throw RpcError(kRpcTypeError, std::string(name) + " must be an integer");
  }
  // Unsigned JSON numbers above INT64_MAX are out of range, not negative.
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    throw RpcError(kRpcInvalidParameter, range_message);
  }
  const int64_t number = value.get<int64_t>();
  if (number < min || number > max) throw RpcError(kRpcInvalidParameter, range_message);
  return number;
}

std::string HexStr(ByteSpan bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * bytes.size(), '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xf];
  }
  return out;
}

bool ParseHex(std::string_view hex, std::vector<uint8_t>* out) {
  if (hex.size() % 2 != 0) return false;
  std::vector<uint8_t> bytes(hex.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *out = std::move(bytes);
  return true;
}

}  // namespace cc::rpc
