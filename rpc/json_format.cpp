#include "rpc/json_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace cc::rpc {
namespace {

constexpr double kUnitsPerCoin = 1e8;
constexpr int64_t kMaxExactUnits = int64_t{1} << 53;

// Appends `x` with 8 decimals if it is an amount (file comment); false if not.
bool AppendAmount(double x, std::string* out) {
  int64_t units = 0;
  if (!UnitsOfCoinValue(x, &units)) return false;
  const uint64_t magnitude =
      units < 0 ? static_cast<uint64_t>(-units) : static_cast<uint64_t>(units);
  char text[40];
  std::snprintf(text, sizeof(text), "%s%llu.%08llu", units < 0 ? "-" : "",
                static_cast<unsigned long long>(magnitude / 100'000'000),
                static_cast<unsigned long long>(magnitude % 100'000'000));
  *out += text;
  return true;
}

// Appends `text` as a JSON string. Text that needs no escaping (printable
// ASCII but the quote and the backslash: keys, hex, addresses — nearly
// everything an RPC reply holds) is copied as is; the rest goes through
// json::dump, which escapes and replaces invalid UTF-8. Building a json and a serializer per
// string cost a quarter of `getblock <hash> 2`.
void AppendString(const std::string& text, std::string* out) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    *out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  *out += '"';
  *out += text;
  *out += '"';
}

void Write(const json& value, int indent, int level, std::string* out) {
  const bool pretty = indent >= 0;
  auto newline = [&](int depth) {
    if (!pretty) return;
    *out += '\n';
    out->append(static_cast<size_t>(indent) * static_cast<size_t>(depth), ' ');
  };
  if (value.is_object() || value.is_array()) {
    const bool object = value.is_object();
    if (value.empty()) {
      *out += object ? "{}" : "[]";
      return;
    }
    *out += object ? '{' : '[';
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (!first) *out += ',';
      first = false;
      newline(level + 1);
      if (object) {
        AppendString(it.key(), out);
        *out += pretty ? ": " : ":";
      }
      Write(*it, indent, level + 1, out);
    }
    newline(level);
    *out += object ? '}' : ']';
    return;
  }
  if (value.is_number_float() && AppendAmount(value.get<double>(), out)) return;
  if (value.is_string()) return AppendString(value.get_ref<const std::string&>(), out);
  if (value.is_number_integer()) {
    char text[24];
    const auto end = value.is_number_unsigned()
                         ? std::to_chars(text, text + sizeof(text), value.get<uint64_t>()).ptr
                         : std::to_chars(text, text + sizeof(text), value.get<int64_t>()).ptr;
    out->append(text, end);
    return;
  }
  if (value.is_boolean()) {
    *out += value.get<bool>() ? "true" : "false";
    return;
  }
  if (value.is_null()) {
    *out += "null";
    return;
  }
  *out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

bool UnitsOfCoinValue(double x, int64_t* units) {
  if (!std::isfinite(x) || std::fabs(x) >= static_cast<double>(kMaxExactUnits) / kUnitsPerCoin) {
    return false;
  }
  // x * 10^8 is within an ulp of n; the division below is the check.
  const int64_t n = std::llround(x * kUnitsPerCoin);
  if (static_cast<double>(n) / kUnitsPerCoin != x) return false;
  *units = n;
  return true;
}

std::string DumpJson(const json& value, int indent) {
  std::string out;
  Write(value, indent, 0, &out);
  return out;
}

}  // namespace cc::rpc
