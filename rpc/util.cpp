#include "rpc/util.h"

namespace cc::rpc {
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

}  // namespace cc::rpc
