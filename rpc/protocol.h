// JSON-RPC protocol: error codes, the error type methods throw, and the
// request and reply shapes of JSON-RPC 1.0 and 2.0 as Bitcoin Core speaks them.
//
// A request is an object {"method": str, "params": [..] | {..} | absent,
// "id": any, "jsonrpc": "1.0" | "2.0" | absent}; a batch is an array of them.
// Replies follow the request's version:
//   1.0 (legacy, "jsonrpc" absent or "1.0"):
//       {"result": ..., "error": null | {"code", "message"}, "id": ...}
//   2.0: {"jsonrpc": "2.0", "result": ..., "id": ...}
//     or {"jsonrpc": "2.0", "error": {"code", "message"}, "id": ...}
// A 2.0 request without "id" is a notification: it runs, and gets no reply.
//
// A body is parsed with ParseJsonBody, which refuses documents nested deeper
// than kMaxJsonDepth while parsing: nlohmann::json's parser is iterative, but
// copying, comparing and dumping a value recurse once per level, so a deep
// document must never be built at all (100 KB of "[" once crashed the node).
// Every value a request carries is therefore at most kMaxJsonDepth deep, and
// the recursive walks after parsing (ParseRequest's copies, the error reply
// echoing the id, Dump) are bounded by it.
//
// Error codes are Bitcoin Core's (src/rpc/protocol.h), so scripts written
// for bitcoin-cli read ours the same way.
//
// Thread safety: free functions and values only.

#ifndef COMPUTECOIN_RPC_PROTOCOL_H
#define COMPUTECOIN_RPC_PROTOCOL_H

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "chain/status.h"

namespace cc::rpc {

using json = nlohmann::json;

/** How deep arrays and objects may nest in a request body (the top-level
 *  value is level 1). Method arguments need fewer than 10 levels; 64 keeps the
 *  recursion of copying or dumping a value a few kilobytes of stack. */
inline constexpr int kMaxJsonDepth = 64;

enum RpcErrorCode : int {
  // Standard JSON-RPC 2.0 errors.
  kRpcInvalidRequest = -32600,  //!< not a request object, or a malformed one
  kRpcMethodNotFound = -32601,  //!< no method of that name
  kRpcInvalidParams = -32602,   //!< params of the wrong shape for the call
  kRpcInternalError = -32603,   //!< a method failed in a way it did not expect
  kRpcParseError = -32700,      //!< the body is not JSON

  // Application errors (Bitcoin Core's numbering).
  kRpcMiscError = -1,                //!< wrong argument count (the message is the help text), other
  kRpcTypeError = -3,                //!< an argument has the wrong JSON type
  kRpcInvalidAddressOrKey = -5,      //!< no such block, transaction or key
  kRpcOutOfMemory = -7,              //!< ran out of memory during the operation
  kRpcInvalidParameter = -8,         //!< an argument has a bad value (range, hex, ...)
  kRpcDatabaseError = -20,           //!< the store failed
  kRpcDeserializationError = -22,    //!< bytes given or stored do not decode
  kRpcVerifyError = -25,             //!< a transaction failed validation, or has missing inputs
  kRpcVerifyRejected = -26,          //!< a transaction was rejected by the mempool's rules
  kRpcVerifyAlreadyInChain = -27,    //!< a transaction's outputs are already in the UTXO set
  kRpcInWarmup = -28,                //!< the node is still starting; retry later
  kRpcClientNotConnected = -9,       //!< the node has no peers
  kRpcClientNodeAlreadyAdded = -23,  //!< addnode add: already in the list
  kRpcClientNodeNotAdded = -24,      //!< addnode remove: not in the list
  kRpcClientNodeNotConnected = -29,  //!< disconnectnode: no such peer
  kRpcClientInvalidIpOrSubnet = -30,  //!< setban: not an IP or subnet
  kRpcClientP2PDisabled = -31,        //!< the P2P side is not running
  kRpcClientMempoolDisabled = -33,  //!< the node runs no mempool
};

/// What a method throws to fail a call with a specific code and message.
class RpcError : public std::runtime_error {
 public:
  RpcError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// Parses `text` as one JSON value into *out, refusing any array or object
/// nested deeper than kMaxJsonDepth as soon as the parser opens it (so no
/// deep value is ever built). Returns OK and sets *out on success; on failure
/// returns InvalidArgument with the text of the kRpcParseError reply ("Parse
/// error", "Parse error: JSON nested deeper than 64 levels", or "Parse
/// error: duplicate key \"<name>\"" for an object that repeats a name, whose
/// meaning JSON leaves open) and leaves *out null.
[[nodiscard]] Status ParseJsonBody(std::string_view text, json* out);

/// `object[key]` as a T if `object` is an object holding `key` with a value
/// of T's JSON type, else `fallback`. For JSON from outside the process
/// (files, replies, requests): json::value(key, fallback) throws when the
/// stored value has another type, which a sender controls.
template <typename T>
T FieldOr(const json& object, std::string_view key, T fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else {
    static_assert(std::is_integral_v<T>, "FieldOr takes strings, bools and integers");
    if (it->is_number_unsigned()) {
      const uint64_t v = it->template get<uint64_t>();
      return std::in_range<T>(v) ? static_cast<T>(v) : fallback;
    }
    if (it->is_number_integer()) {
      const int64_t v = it->template get<int64_t>();
      return std::in_range<T>(v) ? static_cast<T>(v) : fallback;
    }
    return fallback;
  }
}

/// {"code": code, "message": message}.
json ErrorObject(int code, const std::string& message);

/// The version a request asked for.
enum class JsonRpcVersion { kLegacy, kV2 };

/// One parsed request. Params are kept as given (array, object or null).
struct JsonRpcRequest {
  json id;  //!< null when absent
  bool has_id = false;
  std::string method;
  json params;  //!< array, object or null
  JsonRpcVersion version = JsonRpcVersion::kLegacy;

  /// A 2.0 request without "id": runs, but gets no reply.
  bool IsNotification() const { return version == JsonRpcVersion::kV2 && !has_id; }
};

/// Parses one request object into *out. Throws RpcError(kRpcInvalidRequest)
/// naming what is wrong: "Invalid Request object", "Missing method",
/// "Method must be a string", "Params must be an array or object",
/// "JSON-RPC version not supported". *out keeps the id (and version) read
/// before the error, so the error reply can echo them.
void ParseRequest(const json& value, JsonRpcRequest* out);

/// A success reply in the request's version.
json SuccessReply(const JsonRpcRequest& request, json result);
/// An error reply in the request's version. `request` may be only partly
/// filled (parse failures); its id and version are used as far as known.
json ErrorReply(const JsonRpcRequest& request, const json& error);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_PROTOCOL_H
