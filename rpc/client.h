// The RPC client used by computecoin-cli and computecoin-light: one HTTP/1.1
// POST per call to the node's JSON-RPC server, with Basic auth, and the
// command-line argument conversion bitcoin-cli does.
//
// Argument conversion: on the command line every argument is a string. A
// static table (CliJsonParams, as Bitcoin Core's vRPCConvertParams) lists
// which parameters of which methods are JSON (numbers, booleans, objects);
// those are parsed as JSON, all others are passed as strings. With -named,
// arguments are "name=value" and become a params object; the same table
// decides by name. A method's numeric/boolean/object arguments must be in the
// table (a unit test checks the table against the node's methods).
//
// Thread safety: an RpcClient may be used by one thread at a time.

#ifndef COMPUTECOIN_RPC_CLIENT_H
#define COMPUTECOIN_RPC_CLIENT_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "chain/status.h"
#include "rpc/protocol.h"

namespace cc::rpc {

struct RpcClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string user;
  std::string password;
  std::string path = "/";
  /// Whole-call limit: connect, send, and the server's reply (e.g. 900 s, as
  /// bitcoin-cli's -rpcclienttimeout; the node may take long to answer).
  std::chrono::milliseconds timeout{900'000};
};

class RpcClient {
 public:
  explicit RpcClient(RpcClientOptions options) : options_(std::move(options)) {}

  /// Sends a JSON-RPC 1.0 request and sets *reply to the reply object
  /// ({"result", "error", "id"}; a method's failure is in "error", with OK).
  /// Returns:
  ///   IOError "Could not connect to the server <host>:<port>" when there is
  ///     no connection, or IOError when the connection fails mid-call
  ///     (both worth retrying while a node starts: -rpcwait);
  ///   InvalidArgument "Authorization failed: Incorrect rpcuser or rpcpassword"
  ///     on HTTP 401;
  ///   Corruption for any other HTTP error status ("server returned HTTP
  ///     error 403") or a body that is not a JSON-RPC reply.
  Status Call(const std::string& method, const json& params, json* reply);

  /// As Call, asking the server to stream the call (rpc/http_server.h,
  /// "Streamed calls"): on_event gets each piece of the method's progress as
  /// it arrives, before *reply is set. A server or method that does not
  /// stream answers as to Call, and on_event is never called.
  Status CallStreamed(const std::string& method, const json& params,
                      const std::function<void(const json&)>& on_event, json* reply);

  /// Sends `request` (an object or a batch array) and sets *reply to the
  /// parsed body. Same errors as Call(), except that any JSON body is accepted.
  Status Send(const json& request, json* reply);

  const RpcClientOptions& options() const { return options_; }

 private:
  /// Send, streamed when on_event is set (CallStreamed).
  Status Exchange(const json& request, const std::function<void(const json&)>& on_event,
                  json* reply);

  RpcClientOptions options_;
};

/// One row of the conversion table: argument `index` (named `name`) of
/// `method` is passed as JSON.
struct CliParamConversion {
  const char* method;
  int index;
  const char* name;
};

/// The whole table.
std::span<const CliParamConversion> CliJsonParams();

/// Positional command-line args → params array. Returns InvalidArgument
/// "Error parsing JSON: <arg>" for a JSON parameter that does not parse.
Status CliPositionalParams(const std::string& method, const std::vector<std::string>& args,
                           json* params);

/// -named command-line args ("name=value") → params object. Returns
/// InvalidArgument for an argument without '=' or a JSON value that does not
/// parse.
Status CliNamedParams(const std::string& method, const std::vector<std::string>& args,
                      json* params);

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_CLIENT_H
