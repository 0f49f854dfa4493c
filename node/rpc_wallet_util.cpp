#include "node/rpc_wallet_util.h"

#include <cctype>
#include <cstdint>
#include <string_view>

#include "node/fee_estimation.h"
#include "node/wallets.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"
#include "rpc/util.h"

namespace cc {

using rpc::json;
using rpc::RpcError;

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = HexDigit(in[i + 1]);
      const int lo = HexDigit(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

// Parses a decimal such as "1.5", "-0.001" or "1e-05" into units of
// 10^-8. False if it is not a number or not a whole number of units.
bool ParseFixedPoint(std::string_view text, int64_t* out) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int64_t mantissa = 0;
  int digits = 0, scale = 0;  // value = mantissa * 10^(-scale)
  bool any = false, point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    any = true;
    if (mantissa == 0 && c == '0') {
      if (point) ++scale;
      continue;
    }
    if (++digits > 18) return false;
    mantissa = mantissa * 10 + (c - '0');
    if (point) ++scale;
  }
  if (!any) return false;
  int exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    if (i == text.size()) return false;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      exponent = exponent * 10 + (text[i] - '0');
      if (exponent > 100) return false;
    }
    if (exp_negative) exponent = -exponent;
  }
  if (i != text.size()) return false;
  int shift = 8 + exponent - scale;  // units = mantissa * 10^shift
  while (shift < 0) {
    if (mantissa % 10 != 0) return false;
    mantissa /= 10;
    ++shift;
  }
  while (shift > 0 && mantissa != 0) {
    if (mantissa > INT64_MAX / 10) return false;
    mantissa *= 10;
    --shift;
  }
  *out = negative ? -mantissa : mantissa;
  return true;
}

}  // namespace

std::string WalletNameFromUri(const std::string& uri) {
  constexpr std::string_view kPrefix = "/wallet/";
  if (uri.rfind(kPrefix, 0) != 0) return "";
  return UrlDecode(std::string_view(uri).substr(kPrefix.size()));
}

std::shared_ptr<wallet::Wallet> GetWalletForRequest(NodeContext& node,
                                                    const rpc::RpcRequest& request) {
  if (!node.wallets) {
    throw RpcError(rpc::kRpcMethodNotFound, "Method not found (wallet is disabled)");
  }
  if (request.uri.rfind("/wallet/", 0) == 0) {
    std::shared_ptr<wallet::Wallet> w = node.wallets->Get(WalletNameFromUri(request.uri));
    if (!w) throw RpcError(kRpcWalletNotFound, "Requested wallet does not exist or is not loaded");
    return w;
  }
  std::vector<std::shared_ptr<wallet::Wallet>> all = node.wallets->All();
  if (all.size() == 1) return all.front();
  if (all.empty()) {
    throw RpcError(kRpcWalletNotFound,
                   "No wallet is loaded. Load a wallet using loadwallet or create a new one with "
                   "createwallet. (Note: A default wallet is no longer automatically created)");
  }
  throw RpcError(kRpcWalletNotSpecified,
                 "Wallet file not specified (must request wallet RPC through /wallet/<filename> "
                 "uri-path).");
}

Amount AmountFromValue(const json& value) {
  if (!value.is_number() && !value.is_string()) {
    throw RpcError(rpc::kRpcTypeError, "Amount is not a number or string");
  }
  int64_t units = 0;
  // A JSON float has lost its text: below 2^53 units it is an amount if it
  // is the double nearest to one (the rule DumpJson writes by). Strings,
  // integers and larger floats are parsed from their decimal text.
  const bool ok =
      (value.is_number_float() && rpc::UnitsOfCoinValue(value.get<double>(), &units)) ||
      ParseFixedPoint(value.is_string() ? value.get<std::string>() : value.dump(), &units);
  if (!ok) throw RpcError(rpc::kRpcTypeError, "Invalid amount");
  if (!MoneyRange(units)) throw RpcError(rpc::kRpcTypeError, "Amount out of range");
  return units;
}

json ValueFromAmount(Amount amount) {
  return static_cast<double>(amount) / static_cast<double>(kCoin);
}

uint32_t ParseConfTarget(const json& value) {
  const std::string range =
      "Invalid conf_target, must be between 1 and " + std::to_string(wallet::kMaxConfirmTarget);
  if (!value.is_number_integer()) throw RpcError(rpc::kRpcInvalidParameter, range);
  return static_cast<uint32_t>(
      rpc::ParseIntArg(value, "conf_target", 1, wallet::kMaxConfirmTarget, range));
}

void CheckEstimateMode(const json& value) {
  if (!value.is_string()) return;
  std::string mode = value.get<std::string>();
  for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (mode != "unset" && mode != "economical" && mode != "conservative") {
    throw RpcError(rpc::kRpcInvalidParameter,
                   "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", "
                   "\"conservative\"");
  }
}

void CheckReplaceable(const json& value) {
  if (value.is_boolean() && !value.get<bool>()) {
    throw RpcError(rpc::kRpcInvalidParameter,
                   "Invalid parameter, replaceable: every transaction is replaceable by fee here");
  }
}

wallet::FeeRate EstimateFeeRate(NodeContext& node, uint32_t target) {
  if (node.fee_estimation) return node.fee_estimation->Estimate(target);
  return wallet::FeeRate{node.mempool ? node.mempool->options().min_relay_fee_per_kb
                                      : kDefaultMinRelayFeePerKb};
}

void ThrowWalletError(const Status& s) {
  const std::string& m = s.message();
  if (m == wallet::kUnlockNeededError) throw RpcError(kRpcWalletUnlockNeeded, m);
  if (m == wallet::kWrongPassphraseError) throw RpcError(kRpcWalletPassphraseIncorrect, m);
  if (m == wallet::kNotEncryptedError || m == wallet::kAlreadyEncryptedError) {
    throw RpcError(kRpcWalletWrongEncState, m);
  }
  if (m == wallet::kInsufficientFundsError) throw RpcError(kRpcWalletInsufficientFunds, m);
  if (m.rfind(wallet::kInvalidAddressError, 0) == 0 ||
      m == "Invalid or non-wallet transaction id") {
    throw RpcError(rpc::kRpcInvalidAddressOrKey, m);
  }
  if (m == "Amount out of range") throw RpcError(rpc::kRpcTypeError, m);
  throw RpcError(kRpcWalletError, m);
}

}  // namespace cc
