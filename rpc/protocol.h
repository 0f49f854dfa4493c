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
// Error codes are Bitcoin Core's (src/rpc/protocol.h), so scripts written
// for bitcoin-cli read ours the same way.
//
// Thread safety: free functions and values only.

#ifndef COMPUTECOIN_RPC_PROTOCOL_H
#define COMPUTECOIN_RPC_PROTOCOL_H

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace cc::rpc {

using json = nlohmann::json;

enum RpcErrorCode : int {
  // Standard JSON-RPC 2.0 errors.
  kRpcInvalidRequest = -32600,  //!< not a request object, or a malformed one
  kRpcMethodNotFound = -32601,  //!< no method of that name
  kRpcInvalidParams = -32602,   //!< params of the wrong shape for the call
  kRpcInternalError = -32603,   //!< a method failed in a way it did not expect
  kRpcParseError = -32700,      //!< the body is not JSON

  // Application errors (Bitcoin Core's numbering).
  kRpcMiscError = -1,              //!< wrong argument count (the message is the help text), other
  kRpcTypeError = -3,              //!< an argument has the wrong JSON type
  kRpcInvalidAddressOrKey = -5,    //!< no such block, transaction or key
  kRpcOutOfMemory = -7,            //!< ran out of memory during the operation
  kRpcInvalidParameter = -8,       //!< an argument has a bad value (range, hex, ...)
  kRpcDatabaseError = -20,         //!< the store failed
  kRpcDeserializationError = -22,  //!< bytes given or stored do not decode
  kRpcVerifyError = -25,           //!< a transaction failed validation, or has missing inputs
  kRpcVerifyRejected = -26,        //!< a transaction was rejected by the mempool's rules
  kRpcVerifyAlreadyInChain = -27,  //!< a transaction's outputs are already in the UTXO set
  kRpcInWarmup = -28,              //!< the node is still starting; retry later
  kRpcClientNotConnected = -9,     //!< the node has no peers
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
