// Control and node-information methods: one function per method, the
// registration table at the bottom.

#include <chrono>

#include "node/rpc_register.h"
#include "node/shutdown.h"
#include "node/common/version.h"
#include "rpc/method.h"

namespace cc {
namespace {

using rpc::ExampleCli;
using rpc::ExampleRpc;
using rpc::json;
using rpc::RpcMethod;
using rpc::RpcRequest;
using rpc::RpcType;

RpcMethod stop(NodeContext&) {
  return RpcMethod{
      "stop",
      "Request a graceful shutdown of Computecoin server.",
      {},
      {{RpcType::kString, "", "A string with the content 'Computecoin server stopping'"}},
      ExampleCli("stop", "") + ExampleRpc("stop", ""),
      [](const RpcMethod&, const RpcRequest&) -> json {
        // The reply is still written: the server finishes requests in flight before it stops.
        RequestShutdown();
        return "Computecoin server stopping";
      }};
}

RpcMethod uptime(NodeContext& node) {
  return RpcMethod{
      "uptime",
      "Returns the total uptime of the server.",
      {},
      {{RpcType::kNumber, "", "The number of seconds that the server has been running"}},
      ExampleCli("uptime", "") + ExampleRpc("uptime", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                node.start_time)
            .count();
      }};
}

}  // namespace

Status RegisterControlRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"control", &stop},
      {"control", &uptime},
  };
  return table.AddAll(kCommands, node);
}

Status RegisterNodeRpcs(rpc::RpcTable& table, NodeContext& node) {
  Status s = RegisterBlockchainRpcs(table, node);
  if (s.ok()) s = RegisterProofRpcs(table, node);
  if (s.ok()) s = RegisterControlRpcs(table, node);
  if (s.ok()) s = RegisterTrainingRpcs(table, node);
  if (s.ok()) s = RegisterNetRpcs(table, node);
  if (s.ok()) s = RegisterWalletRpcs(table, node);
  if (s.ok()) s = RegisterChannelRpcs(table, node);
  if (s.ok()) s = RegisterRawTransactionRpcs(table, node);
  if (s.ok()) s = RegisterInferenceRpcs(table, node);
  if (s.ok()) s = RegisterApiRpcs(table, node);
  return s;
}

}  // namespace cc
