// API key methods (node/api.h, rpc/api_keys.h): one function per method, the
// registration table at the bottom.

#include "node/api.h"
#include "node/rpc_register.h"
#include "node/rpc_wallet_util.h"
#include "rpc/method.h"
#include "rpc/util.h"

namespace cc {
namespace {

using rpc::ExampleCli;
using rpc::ExampleRpc;
using rpc::json;
using rpc::RpcArg;
using rpc::RpcError;
using rpc::RpcMethod;
using rpc::RpcRequest;
using rpc::RpcType;

rpc::ApiKeys& KeysOrThrow(NodeContext& node) {
  if (!node.api_keys) throw RpcError(rpc::kRpcInWarmup, "API keys are not loaded yet");
  return *node.api_keys;
}

std::string LabelArg(const json& arg) {
  if (!arg.is_string()) throw RpcError(rpc::kRpcTypeError, "label must be a string");
  return arg.get<std::string>();
}

RpcMethod createapikey(NodeContext& node) {
  return RpcMethod{
      "createapikey",
      "Makes a key for the inference API (-apiport), shown only now: the node keeps its\n"
      "SHA-256 alone. Clients send it as \"Authorization: Bearer <key>\"; what they spend\n"
      "through it is capped at spendingcap.",
      {{"label", RpcType::kString, RpcArg::kRequired, "",
        "A name for the key (1 to 64 printable characters, unique)"},
       {"spendingcap", RpcType::kAny, RpcArg::kRequired, "",
        "The most, in coins, requests with this key may cost in all"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kString, "label", "the key's name"},
            {RpcType::kString, "key", "the key itself (\"ccapi-\" and 64 hex digits)"},
            {RpcType::kNumber, "spendingcap", "its cap"},
        }}},
      ExampleCli("createapikey", "\"alice\" 1.5") + ExampleRpc("createapikey", "\"alice\", 1.5"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const std::string label = LabelArg(request.Arg(0));
        const Amount cap = AmountFromValue(request.Arg(1));
        std::string key;
        const Status s = KeysOrThrow(node).Create(label, cap, &key);
        if (s.IsInvalidArgument()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        return json{{"label", label}, {"key", key}, {"spendingcap", ValueFromAmount(cap)}};
      }};
}

RpcMethod listapikeys(NodeContext& node) {
  return RpcMethod{
      "listapikeys",
      "Lists the inference API's keys (never the keys themselves) and what each has spent.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {
              {RpcType::kString, "label", "the key's name"},
              {RpcType::kNumber, "spendingcap", "the most it may spend"},
              {RpcType::kNumber, "spent", "charged so far"},
              {RpcType::kNumber, "reserved", "held by requests in flight"},
          }}}}},
      ExampleCli("listapikeys", "") + ExampleRpc("listapikeys", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        json out = json::array();
        for (const rpc::ApiKeyInfo& info : KeysOrThrow(node).List()) {
          out.push_back({{"label", info.label},
                         {"spendingcap", ValueFromAmount(info.cap)},
                         {"spent", ValueFromAmount(info.spent)},
                         {"reserved", ValueFromAmount(info.reserved)}});
        }
        return out;
      }};
}

RpcMethod revokeapikey(NodeContext& node) {
  return RpcMethod{
      "revokeapikey",
      "Forgets an inference API key: requests with it are refused from now on.",
      {{"label", RpcType::kString, RpcArg::kRequired, "", "The key's name"}},
      {{RpcType::kNone, "", "", {}}},
      ExampleCli("revokeapikey", "\"alice\"") + ExampleRpc("revokeapikey", "\"alice\""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        const Status s = KeysOrThrow(node).Revoke(LabelArg(request.Arg(0)));
        if (s.IsNotFound()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.ToString());
        return nullptr;
      }};
}

}  // namespace

Status RegisterApiRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"inference", &createapikey},
      {"inference", &listapikeys},
      {"inference", &revokeapikey},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
