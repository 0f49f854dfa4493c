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
// Thread safety: a free function.

#ifndef COMPUTECOIN_RPC_JSON_FORMAT_H
#define COMPUTECOIN_RPC_JSON_FORMAT_H

#include <cstdint>
#include <string>

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

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_JSON_FORMAT_H
