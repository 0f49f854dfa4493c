// RpcMethod: one RPC method, described and implemented in one place, in the
// style of Bitcoin Core's RPCHelpMan (src/rpc/util.h): its name, help text,
// argument list, result description, examples and body together. `help`, the
// argument checks, named-argument conversion and doc/rpc.md all come from the
// same description, so they cannot drift apart.
//
// A method is written as a function returning its RpcMethod:
//
//   static RpcMethod getblockhash(NodeContext& node) {
//     return RpcMethod{
//         "getblockhash",
//         "Returns hash of block in best-block-chain at height provided.",
//         {{"height", RpcType::kNumber, RpcArg::kRequired, "The height index"}},
//         {{RpcType::kHex, "", "The block hash"}},
//         ExampleCli("getblockhash", "1000") + ExampleRpc("getblockhash", "1000"),
//         [&node](const RpcMethod&, const RpcRequest& request) -> json { ... }};
//   }
//
// and registered with its category in the table at the bottom of its file
// (table.h).
//
// Thread safety: an RpcMethod is immutable after construction; Call() may
// run concurrently if the handler allows it (handlers say what they lock).

#ifndef COMPUTECOIN_RPC_METHOD_H
#define COMPUTECOIN_RPC_METHOD_H

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/protocol.h"

namespace cc::rpc {

/// JSON types of arguments and results. kHex is a string of hex digits
/// (hashes, serialized data); kAny accepts every JSON value.
enum class RpcType { kString, kHex, kNumber, kBool, kObject, kArray, kAny, kNone };

/// The name help shows for a type: "string", "numeric", "boolean", ...
std::string_view RpcTypeName(RpcType type);
/// True for types the cli passes as JSON (not as a quoted string).
bool IsJsonType(RpcType type);

struct RpcArg {
  enum Optionality { kRequired, kOptional };

  std::string name;  //!< the key for -named calls, e.g. "blockhash"
  RpcType type = RpcType::kString;
  Optionality optionality = kRequired;
  /// For optional args: the default as help shows it ("true", "1"); empty if
  /// omitting the argument has a meaning of its own (described in text).
  std::string default_hint;
  std::string description;
};

/// A result, or one field of an object result (key non-empty). `inner`
/// lists an object's fields or an array's element type.
struct RpcResult {
  RpcType type = RpcType::kNone;
  std::string key;
  std::string description;
  std::vector<RpcResult> inner;
  /// When a method has several result shapes: when this one applies, e.g.
  /// "for verbose = false". Empty for a method with one shape.
  std::string condition;
};

/// One call: the positional params (named ones are converted before the
/// method sees them) and who made it.
struct RpcRequest {
  json params = json::array();  //!< array; omitted arguments are absent or null
  std::string user;             //!< the authenticated user name (or "__cookie__")
  /// The HTTP target the call came on: "/" or "/wallet/<name>" (wallet
  /// methods pick their wallet from it, as Bitcoin Core's JSONRPCRequest::URI).
  std::string uri = "/";
  /// Set when the client reads the call's progress as it comes (a streamed
  /// call: rpc/http_server.h); empty otherwise. A method that produces its
  /// result piece by piece may pass each piece here first (infer: its text);
  /// false: the client is gone. The call's result is still returned whole.
  std::function<bool(const json&)> progress;

  /// The i-th argument, or null if it was not given.
  const json& Arg(size_t i) const;
};

class RpcMethod {
 public:
  using Handler = std::function<json(const RpcMethod& self, const RpcRequest& request)>;

  /// The table (table.h) refuses a method whose argument names repeat or
  /// whose required arguments follow optional ones.
  RpcMethod(std::string name, std::string description, std::vector<RpcArg> args,
            std::vector<RpcResult> results, std::string examples, Handler handler);

  const std::string& name() const { return name_; }
  const std::vector<RpcArg>& args() const { return args_; }
  const std::vector<RpcResult>& results() const { return results_; }
  const std::string& description() const { return description_; }
  const std::string& examples() const { return examples_; }

  /// The one-line usage, e.g. `getblock "blockhash" ( verbosity )`.
  std::string Signature() const;
  /// The full help text: usage, description, arguments, result, examples.
  std::string Help() const;

  /// Checks the arguments against the description, then runs the handler.
  /// Throws RpcError: kRpcMiscError with the help text when too many or too
  /// few arguments are given (as Bitcoin Core does), kRpcTypeError naming
  /// the argument when one has the wrong JSON type, and whatever the handler
  /// throws.
  /// REQUIRES: request.params is an array.
  json Call(const RpcRequest& request) const;

 private:
  std::string name_;
  std::string description_;
  std::vector<RpcArg> args_;
  std::vector<RpcResult> results_;
  std::string examples_;
  Handler handler_;
};

/// "> computecoin-cli <method> <args>\n", for examples.
std::string ExampleCli(std::string_view method, std::string_view args);
/// The same call as a curl command with a JSON-RPC 1.0 body.
/// `args` is the JSON text of the params array's contents, e.g. "\"abc\", 1".
std::string ExampleRpc(std::string_view method, std::string_view args);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_METHOD_H
