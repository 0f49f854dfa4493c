// Writing JSON the way Bitcoin Core writes amounts: every RPC reply (the
// server's dispatcher) and everything the cli prints goes through
// DumpJson, so an amount prints as a number with exactly 8 decimals
// ("0.10000000", "-1.50000000", "0.00000356"), never as "0.1" or "3.56e-06".
//
// The rule, applied to every floating-point number: if the value is exactly
// the double nearest to n / 10^8 for an integer n with |n| < 2^53 (what
// ValueFromAmount, node/rpc_wallet_util.h, makes of an amount of n units),
// it is written as n in coins with 8 decimals, from the integer n, so no
// binary rounding reaches the text. Other floats (a progress ratio such as
// 1/3) are written as nlohmann::json writes them, at full precision. The
// rule loses nothing: a float that qualifies has no digits past the 8th.
// Other floats that happen to qualify (a ping of 0.000123 s) get 8 decimals
// too, which a client parsing numbers cannot tell apart.
//
// Everything else matches json::dump(indent, ' ', false,
// error_handler_t::replace): invalid UTF-8 in strings is replaced, not
// thrown.
//
// Large replies (`getblock <hash> 2`) skip the json tree: a method writes
// its reply with JsonWriter, straight into the text DumpJson produces (same
// escaping, same amount format), and returns it wrapped by RawJson, which
// DumpJson splices in unchanged. Building the tree cost more than all the
// rest of such a request (malloc and free of a node per value).
//
// Thread safety: free functions; a JsonWriter belongs to one thread.

#ifndef COMPUTECOIN_RPC_JSON_FORMAT_H
#define COMPUTECOIN_RPC_JSON_FORMAT_H

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rpc/protocol.h"

namespace cc::rpc {

/** The amount a JSON float stands for (the rule of the file comment).
 *  Returns: true with *units = n if x is the double nearest to n / 10^8 for an
 *           integer n with |n| < 2^53; false (units unchanged) otherwise.
 */
[[nodiscard]] bool UnitsOfCoinValue(double x, int64_t* units);

/// `value` as JSON text (see the file comment); indent < 0 writes it on one
/// line without spaces, indent >= 0 pretty-prints with that many spaces per level.
std::string DumpJson(const json& value, int indent = -1);

/// Compact JSON text written value by value into a string, as DumpJson
/// would write the same document with indent < 0. The caller nests
/// Begin/End pairs and puts a Key before every value inside an object;
/// the writer places the commas and colons. Returns *this, to chain calls.
class JsonWriter {
 public:
  /// REQUIRES: out is not null and outlives the writer.
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view text);
  /// Lower-case hex of `bytes`, as a string (HexStr's text).
  JsonWriter& Hex(std::span<const uint8_t> bytes);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  /// `units` / 10^8 with exactly 8 decimals, for every int64 (also beyond
  /// the 2^53 that a double held in a json tree can carry exactly).
  JsonWriter& Amount(int64_t units);
  /// A float as DumpJson writes it (the amount rule of the file comment).
  JsonWriter& Double(double value);
  /// Any json value, as DumpJson writes it.
  JsonWriter& Value(const json& value);
  /// `members`, the text another writer wrote between an object's braces
  /// (keys and values, no braces), as the next members of the object begun.
  JsonWriter& Members(std::string_view members);

 private:
  void Separate();  // the comma before a value or key, when one is due

  std::string* out_;
  bool comma_due_ = false;
};

/// `text`, a complete JSON value (JsonWriter's output), as a json that
/// DumpJson writes verbatim. Anything else reading the json sees an opaque
/// binary value: return it only as a method's whole result.
json RawJson(std::string text);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_JSON_FORMAT_H
