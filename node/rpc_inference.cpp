// Inference methods (node/inference.h, doc/inference.md): one function per
// method, the registration table at the bottom.

#include "node/inference.h"
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

InferenceService& InferenceOrThrow(NodeContext& node) {
  if (!node.inference) throw RpcError(rpc::kRpcClientNotConnected, "P2P is not running");
  return *node.inference;
}

json RouteJson(const std::vector<RouteHop>& route) {
  json hops = json::array();
  for (const RouteHop& hop : route) {
    hops.push_back({{"peer", hop.peer},
                    {"addr", hop.addr},
                    {"sections", json::array({hop.begin, hop.end})},
                    {"price", ValueFromAmount(hop.price)}});
  }
  return hops;
}

// The {options} object of infer into *decode.
void ParseInferOptions(const json& options, compute::DecodeOptions* decode) {
  if (options.is_null()) return;
  if (!options.is_object()) throw RpcError(rpc::kRpcTypeError, "options must be an object");
  for (const auto& [key, value] : options.items()) {
    if (key == "temperature" || key == "top_p") {
      if (!value.is_number()) throw RpcError(rpc::kRpcTypeError, key + " must be a number");
      (key == "temperature" ? decode->temperature : decode->top_p) = value.get<double>();
    } else if (key == "seed") {
      decode->seed = static_cast<uint64_t>(
          rpc::ParseIntArg(value, "seed", 0, INT64_MAX, "seed must be a non-negative integer"));
    } else if (key == "stop") {
      decode->stop.clear();
      const json list = value.is_string() ? json::array({value}) : value;
      if (!list.is_array())
        throw RpcError(rpc::kRpcTypeError, "stop must be a string or an array of strings");
      for (const json& stop : list) {
        if (!stop.is_string()) throw RpcError(rpc::kRpcTypeError, "stop must hold strings");
        decode->stop.push_back(stop.get<std::string>());
      }
    } else {
      throw RpcError(rpc::kRpcInvalidParameter, "unknown option: " + key);
    }
  }
}

RpcMethod infer(NodeContext& node) {
  return RpcMethod{
      "infer",
      "Completes a prompt with the tip's model through section holders found among this node's\n"
      "peers: a route covering every section for the tip's state root (fewest hops, then\n"
      "lowest latency and load), rerouted around a holder that fails. Refused before anything\n"
      "is sent when the route's price for the prompt and maxtokens is above maxfee. Payment\n"
      "is not made yet: the cost is what the holders' advertised prices come to.",
      {{"prompt", RpcType::kString, RpcArg::kRequired, "",
        "The text to continue (1 to " + std::to_string(kMaxPromptBytes) + " bytes)"},
       {"maxtokens", RpcType::kNumber, RpcArg::kOptional, "16",
        "Most tokens (bytes) to generate (1 to " + std::to_string(kMaxInferTokens) + ")"},
       {"maxfee", RpcType::kAny, RpcArg::kOptional, ValueFromAmount(kDefaultInferMaxFee).dump(),
        "The most, in coins, the request may cost"},
       {"options", RpcType::kObject, RpcArg::kOptional, "",
        "{\"temperature\": 0 (greedy) or more, \"top_p\": (0, 1], \"seed\": n, \"stop\": "
        "string or [strings] (default [\"\\n\"])}"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kString, "completion", "the generated text, without the stop string"},
            {RpcType::kArray, "tokens", "every generated token id (byte), stop string included"},
            {RpcType::kBool, "stopped", "whether a stop string ended it"},
            {RpcType::kArray, "route", "the hops: peer, addr, sections [begin, end), price"},
            {RpcType::kNumber, "cost", "coins: tokens processed times the route's price"},
            {RpcType::kNumber, "tokens_billed", "prompt bytes plus generated tokens fed back"},
            {RpcType::kNumber, "reroutes", "hops replaced after a failure"},
            {RpcType::kHex, "state_root", "the model state it came from"},
        }}},
      ExampleCli("infer", "\"123+456=\"") + ExampleCli("infer", "\"123+456=\" 8 0.001") +
          ExampleRpc("infer", "\"123+456=\", 8"),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        if (!request.Arg(0).is_string())
          throw RpcError(rpc::kRpcTypeError, "prompt must be a string");
        InferOptions options;
        options.decode.stop = {"\n"};
        options.decode.max_tokens =
            request.Arg(1).is_null()
                ? 16
                : static_cast<uint32_t>(rpc::ParseIntArg(
                      request.Arg(1), "maxtokens", 1, kMaxInferTokens, "maxtokens out of range"));
        options.max_fee =
            request.Arg(2).is_null() ? kDefaultInferMaxFee : AmountFromValue(request.Arg(2));
        ParseInferOptions(request.Arg(3), &options.decode);
        InferResult result;
        const Status s =
            InferenceOrThrow(node).Infer(request.Arg(0).get<std::string>(), options, {}, &result);
        if (s.IsInvalidArgument()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.message());
        json tokens = json::array();
        for (uint8_t t : result.decode.tokens) tokens.push_back(t);
        return json{
            {"completion", result.decode.text},     {"tokens", tokens},
            {"stopped", result.decode.stopped},     {"route", RouteJson(result.route)},
            {"cost", ValueFromAmount(result.cost)}, {"tokens_billed", result.tokens_billed},
            {"reroutes", result.reroutes},          {"state_root", result.state_root.ToHex()}};
      }};
}

RpcMethod getinferenceinfo(NodeContext& node) {
  return RpcMethod{
      "getinferenceinfo",
      "Returns what this node serves (-serve), the holders its peers announced, and its\n"
      "inference requests.",
      {},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kBool, "serving", "whether -serve is on"},
            {RpcType::kArray, "sections", "served [begin, end) (serving only)"},
            {RpcType::kNumber, "price", "advertised coins per token (serving only)"},
            {RpcType::kHex, "state_root", "of the weights served (serving only)"},
            {RpcType::kNumber, "sessions", "sessions held now"},
            {RpcType::kNumber, "sessions_started", "sessions begun, ever"},
            {RpcType::kNumber, "sessions_evicted", "sessions dropped for room or idleness"},
            {RpcType::kNumber, "tokens_served", "positions computed for clients (replays too)"},
            {RpcType::kNumber, "steps_served", "inferstep messages answered"},
            {RpcType::kNumber, "steps_refused", "inferstep messages refused"},
            {RpcType::kArray, "holders",
             "announcements of connected peers: peer, addr, sections, state_root, price, "
             "sessions, max_sessions"},
            {RpcType::kNumber, "requests", "infer calls that sent a step"},
            {RpcType::kNumber, "tokens_generated", "tokens those calls generated"},
        }}},
      ExampleCli("getinferenceinfo", "") + ExampleRpc("getinferenceinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const InferenceInfo info = InferenceOrThrow(node).Info();
        json holders = json::array();
        for (const HolderInfo& h : info.holders) {
          holders.push_back({{"peer", h.peer},
                             {"addr", h.addr},
                             {"sections", json::array({h.info.section_begin, h.info.section_end})},
                             {"state_root", h.info.state_root.ToHex()},
                             {"price", ValueFromAmount(h.info.price)},
                             {"sessions", h.info.sessions},
                             {"max_sessions", h.info.max_sessions}});
        }
        json out{{"serving", info.serving}};
        if (info.serving) {
          out["sections"] = json::array({info.begin, info.end});
          out["price"] = ValueFromAmount(info.price);
          out["state_root"] = info.state_root.ToHex();
        }
        out["sessions"] = info.serve.sessions;
        out["sessions_started"] = info.serve.sessions_started;
        out["sessions_evicted"] = info.serve.sessions_evicted;
        out["tokens_served"] = info.serve.positions;
        out["steps_served"] = info.steps_served;
        out["steps_refused"] = info.steps_refused;
        out["holders"] = holders;
        out["requests"] = info.requests;
        out["tokens_generated"] = info.tokens_generated;
        return out;
      }};
}

}  // namespace

Status RegisterInferenceRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"inference", &infer},
      {"inference", &getinferenceinfo},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
