// Argument parsing helpers for RPC method bodies. Each throws RpcError with
// Bitcoin Core's code and wording, so every method rejects bad input the
// same way.
//
// Thread safety: free functions only.

#ifndef COMPUTECOIN_RPC_UTIL_H
#define COMPUTECOIN_RPC_UTIL_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain/hash.h"
#include "chain/hex.h"
#include "chain/uint256.h"
#include "rpc/protocol.h"

namespace cc::rpc {

/// A 64-hex-digit hash. Throws kRpcInvalidParameter: "<name> must be of
/// length 64 (not 3, for 'abc')" or "<name> must be hexadecimal string (not '...')".
Uint256 ParseHashArg(const json& value, std::string_view name);

/// An integer within [min, max]. Throws kRpcTypeError if `value` is not an
/// integer, kRpcInvalidParameter with `range_message` if it is out of range.
int64_t ParseIntArg(const json& value, std::string_view name, int64_t min, int64_t max,
                    const std::string& range_message);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_UTIL_H
