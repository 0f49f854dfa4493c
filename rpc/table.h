// RpcTable: every RPC method the node serves, by name and category, as
// Bitcoin Core's CRPCTable. The table itself provides `help`; everything
// else is added by the node (rpc/ does not know the node), each file with
// one registration table at its bottom:
//
//   void RegisterBlockchainRpcs(RpcTable& table, NodeContext& node) {
//     static const RpcCommand<NodeContext> kCommands[] = {
//         {"blockchain", &getblockcount},
//         {"blockchain", &getblockhash},
//     };
//     table.AddAll(kCommands, node);
//   }
//
// Execute() converts named params to positional ones by the method's
// argument names (unknown names fail with kRpcInvalidParameter, "Unknown
// named parameter <name>"), refuses every call with kRpcInWarmup while the
// node is starting, and runs the method.
//
// Thread safety: Add() must finish before the server starts; after that
// the method map is read-only and Execute() may run on many threads. The
// warm-up status has its own mutex.

#ifndef COMPUTECOIN_RPC_TABLE_H
#define COMPUTECOIN_RPC_TABLE_H

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "chain/status.h"
#include "rpc/method.h"
#include "rpc/protocol.h"

namespace cc::rpc {

/// One row of a registration table: a method factory that takes the
/// context its handler needs (kept by reference; it must outlive the table).
template <typename Context>
struct RpcCommand {
  const char* category;
  RpcMethod (*make)(Context& context);
};

class RpcTable {
 public:
  /// A table holding only `help`.
  RpcTable();
  RpcTable(const RpcTable&) = delete;
  RpcTable& operator=(const RpcTable&) = delete;

  /// Adds `method` under `category` (e.g. "blockchain").
  /// Returns InvalidArgument if the name is taken, an argument name repeats
  /// or a required argument follows an optional one; the table is then
  /// unchanged.
  Status Add(std::string category, RpcMethod method);

  /// Adds every row of a registration table. Returns the first failure.
  template <typename Context, size_t N>
  Status AddAll(const RpcCommand<Context> (&commands)[N], Context& context) {
    for (const RpcCommand<Context>& command : commands) {
      Status s = Add(command.category, command.make(context));
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  /// The method named `name`, or nullptr. The pointer lives as long as the table.
  const RpcMethod* Find(const std::string& name) const;
  /// Every method's name, in alphabetical order.
  std::vector<std::string> MethodNames() const;
  /// The category a method was added under; empty if there is no such method.
  std::string CategoryOf(const std::string& name) const;

  /// Runs `method` with `params` (array, object of named args, or null).
  /// Returns the result; throws RpcError (kRpcMethodNotFound "Method not
  /// found", kRpcInWarmup with the status, or what the method throws; any
  /// other exception from a handler becomes kRpcMiscError with its text).
  /// `uri` is the HTTP target, passed on in RpcRequest::uri, and `progress`
  /// RpcRequest::progress.
  json Execute(const std::string& method, const json& params, const std::string& user,
               const std::string& uri = "/",
               const std::function<bool(const json&)>& progress = {}) const;

  /// `help` with no argument: every method's usage line, by category.
  std::string HelpOverview() const;

  /// While warming up, every call fails with kRpcInWarmup and `status` as
  /// the message (e.g. "Loading block index...").
  void SetWarmupStatus(const std::string& status);
  void SetWarmupFinished();
  /// True (and *status set if non-null) while warming up.
  [[nodiscard]] bool InWarmup(std::string* status) const;

 private:
  struct Entry {
    std::string category;
    RpcMethod method;
  };

  /// Named params object → positional array, by the method's argument names.
  static json NamedToPositional(const RpcMethod& method, const json& named);

  std::map<std::string, Entry> methods_;

  mutable std::mutex warmup_mutex_;
  bool in_warmup_ = true;                             // guarded by warmup_mutex_
  std::string warmup_status_ = "RPC server started";  // guarded by warmup_mutex_
};

}  // namespace cc::rpc

#endif  // COMPUTECOIN_RPC_TABLE_H
