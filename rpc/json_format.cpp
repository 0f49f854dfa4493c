#include "rpc/json_format.h"

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
        *out += json(it.key()).dump(-1, ' ', false, json::error_handler_t::replace);
        *out += pretty ? ": " : ":";
      }
      Write(*it, indent, level + 1, out);
    }
    newline(level);
    *out += object ? '}' : ']';
    return;
  }
  if (value.is_number_float() && AppendAmount(value.get<double>(), out)) return;
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
