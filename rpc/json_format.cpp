#include "rpc/json_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "chain/hex.h"

namespace cc::rpc {
namespace {

constexpr double kUnitsPerCoin = 1e8;
constexpr int64_t kMaxExactUnits = int64_t{1} << 53;
// The binary subtype that marks RawJson's text ('J').
constexpr uint8_t kRawJsonSubtype = 0x4a;

// Appends `units` / 10^8 with exactly 8 decimals.
void AppendUnits(int64_t units, std::string* out) {
  // Through uint64_t, so that INT64_MIN's magnitude does not overflow.
  const uint64_t magnitude = units < 0 ? uint64_t{0} - static_cast<uint64_t>(units)
                                       : static_cast<uint64_t>(units);
  if (units < 0) *out += '-';
  char text[24];
  out->append(text, std::to_chars(text, text + sizeof(text), magnitude / 100'000'000).ptr);
  char decimals[9] = {'.', '0', '0', '0', '0', '0', '0', '0', '0'};
  uint64_t fraction = magnitude % 100'000'000;
  for (int i = 8; i > 0; --i, fraction /= 10) decimals[i] = static_cast<char>('0' + fraction % 10);
  out->append(decimals, sizeof(decimals));
}

// Appends `x` with 8 decimals if it is an amount (file comment); false if not.
bool AppendAmount(double x, std::string* out) {
  int64_t units = 0;
  if (!UnitsOfCoinValue(x, &units)) return false;
  AppendUnits(units, out);
  return true;
}

template <typename Integer>
void AppendInteger(Integer value, std::string* out) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  out->append(text, end);
}

bool IsRawJson(const json& value) {
  return value.is_binary() && value.get_binary().has_subtype() &&
         value.get_binary().subtype() == kRawJsonSubtype;
}

// Appends `text` as a JSON string. Text that needs no escaping (printable
// ASCII but the quote and the backslash: keys, hex, addresses — nearly
// everything an RPC reply holds) is copied as is; the rest goes through
// json::dump, which escapes and replaces invalid UTF-8. Building a json and a serializer per
// string cost a quarter of `getblock <hash> 2`.
void AppendString(std::string_view text, std::string* out) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    *out += json(std::string(text)).dump(-1, ' ', false, json::error_handler_t::replace);
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
  if (value.is_number_unsigned()) return AppendInteger(value.get<uint64_t>(), out);
  if (value.is_number_integer()) return AppendInteger(value.get<int64_t>(), out);
  if (IsRawJson(value)) {
    const json::binary_t& text = value.get_binary();
    out->append(reinterpret_cast<const char*>(text.data()), text.size());
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

void JsonWriter::Separate() {
  if (comma_due_) *out_ += ',';
  comma_due_ = false;
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  *out_ += '{';
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  *out_ += '}';
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  *out_ += '[';
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  *out_ += ']';
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view name) {
  Separate();
  AppendString(name, out_);
  *out_ += ':';
  return *this;
}

JsonWriter& JsonWriter::Members(std::string_view members) {
  if (members.empty()) return *this;
  Separate();
  *out_ += members;
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view text) {
  Separate();
  AppendString(text, out_);
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Hex(std::span<const uint8_t> bytes) {
  Separate();
  *out_ += '"';
  AppendHex(bytes, out_);
  *out_ += '"';
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  Separate();
  AppendInteger(value, out_);
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  Separate();
  AppendInteger(value, out_);
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  Separate();
  *out_ += value ? "true" : "false";
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  *out_ += "null";
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Amount(int64_t units) {
  Separate();
  AppendUnits(units, out_);
  comma_due_ = true;
  return *this;
}

JsonWriter& JsonWriter::Double(double value) { return Value(json(value)); }

JsonWriter& JsonWriter::Value(const json& value) {
  Separate();
  Write(value, -1, 0, out_);
  comma_due_ = true;
  return *this;
}

json RawJson(std::string text) {
  json::binary_t::container_type bytes(text.size());
  std::memcpy(bytes.data(), text.data(), text.size());
  return json::binary(std::move(bytes), kRawJsonSubtype);
}

}  // namespace cc::rpc
