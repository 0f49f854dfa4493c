// Inference methods (node/inference.h, doc/inference.md): one function per
// method, the registration table at the bottom.

#include "chain/hex.h"
#include "chain/receipt.h"
#include "chain/serialize.h"
#include "compute/streamed_text.h"
#include "node/channels.h"
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

std::string FundingText(const OutPoint& funding) {
  return funding.txid.ToHex() + ":" + std::to_string(funding.index);
}

// The wallet a request names (/wallet/<name>), else null: the node's default.
std::shared_ptr<wallet::Wallet> NamedWallet(NodeContext& node, const RpcRequest& request) {
  if (request.uri.rfind("/wallet/", 0) != 0) return nullptr;
  return GetWalletForRequest(node, request);
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

// A piece of a streamed infer's completion: its text (invalid UTF-8 replaced,
// as in the reply) and its bytes, the token ids, exactly.
json TextEvent(const std::string& piece) {
  json tokens = json::array();
  for (unsigned char c : piece) tokens.push_back(c);
  return json{{"text", piece}, {"tokens", tokens}};
}

// The {options} object of infer into *out.
void ParseInferOptions(const json& options, InferOptions* out) {
  if (options.is_null()) return;
  compute::DecodeOptions* decode = &out->decode;
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
    } else if (key == "onion") {
      if (!value.is_boolean()) throw RpcError(rpc::kRpcTypeError, "onion must be true or false");
      out->onion = value.get<bool>();
    } else {
      throw RpcError(rpc::kRpcInvalidParameter, "unknown option: " + key);
    }
  }
}

RpcMethod infer(NodeContext& node) {
  return RpcMethod{
      "infer",
      "Completes a prompt with the tip's model through section holders found among this node's\n"
      "peers (and, routed through onion layers, the holders whose announcements were relayed\n"
      "to it): a route covering every section for the tip's state root (fewest hops, then\n"
      "lowest latency and load), rerouted around a holder that fails. Without an \"onion\"\n"
      "option, onion routing is used when only it finds a route. Refused before anything\n"
      "is sent or opened when the route's price for the prompt and maxtokens is above maxfee.\n"
      "Holders that charge are paid from the wallet over payment channels, opened as needed:\n"
      "a call that has to open one returns \"channel opening, funding unconfirmed\" and\n"
      "succeeds once the funding is in a block (doc/inference.md, Payment).\n"
      "Streamed (an HTTP request with \"Accept: text/event-stream\"; computecoin-cli -stream,\n"
      "its default at a terminal), the completion's text comes as events {\"text\"} while it is\n"
      "generated, then this reply (doc/rpc.md, Streamed calls).",
      {{"prompt", RpcType::kString, RpcArg::kRequired, "",
        "The text to continue (1 to " + std::to_string(kMaxPromptBytes) + " bytes)"},
       {"maxtokens", RpcType::kNumber, RpcArg::kOptional, "16",
        "Most tokens (bytes) to generate (1 to " + std::to_string(kMaxInferTokens) + ")"},
       {"maxfee", RpcType::kAny, RpcArg::kOptional, ValueFromAmount(kDefaultInferMaxFee).dump(),
        "The most, in coins, the request may cost"},
       {"options", RpcType::kObject, RpcArg::kOptional, "",
        "{\"temperature\": 0 (greedy) or more, \"top_p\": (0, 1], \"seed\": n, \"stop\": "
        "string or [strings] (default [\"\\n\"]), \"onion\": true routes through onion "
        "layers so that only the first holder sees this node asking (default: -inferonion)}"}},
      {{RpcType::kObject,
        "",
        "",
        {
            {RpcType::kString, "completion", "the generated text, without the stop string"},
            {RpcType::kArray, "tokens", "every generated token id (byte), stop string included"},
            {RpcType::kBool, "stopped", "whether a stop string ended it"},
            {RpcType::kArray, "route", "the hops: peer, addr, sections [begin, end), price"},
            {RpcType::kNumber, "cost",
             "coins signed to the holders: their price times the rows they computed"},
            {RpcType::kNumber, "tokens_billed", "prompt bytes plus generated tokens fed back"},
            {RpcType::kNumber, "reroutes", "hops replaced after a failure"},
            {RpcType::kHex, "state_root", "the model state it came from"},
            {RpcType::kBool, "onion", "whether it was routed through onion layers"},
            {RpcType::kArray, "payments",
             "per paid holder: peer, addr, sections, funding (txid:vout), paid (coins signed in "
             "this request), receipt (hex of its last signed receipt), amount and tokens (the "
             "receipt's)"},
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
        options.wallet = NamedWallet(node, request);
        ParseInferOptions(request.Arg(3), &options);
        InferResult result;
        // A streamed call (rpc/http_server.h) gets the text as it comes.
        compute::StreamedText streamed(options.decode.stop);
        std::function<bool(uint8_t)> on_token;
        if (request.progress) {
          on_token = [&](uint8_t token) {  // false once the reader has left: stop generating
            const std::string piece = streamed.Push(token);
            return piece.empty() || request.progress(TextEvent(piece));
          };
        }
        const Status s = InferenceOrThrow(node).Infer(request.Arg(0).get<std::string>(), options,
                                                      on_token, &result);
        if (const std::string rest = streamed.Rest(result.decode.text);
            s.ok() && request.progress && !rest.empty())
          request.progress(TextEvent(rest));
        if (s.IsInvalidArgument()) throw RpcError(rpc::kRpcInvalidParameter, s.message());
        if (!s.ok()) throw RpcError(rpc::kRpcMiscError, s.message());
        json tokens = json::array();
        for (uint8_t t : result.decode.tokens) tokens.push_back(t);
        json payments = json::array();
        for (const HopPayment& p : result.payments) {
          json entry{{"peer", p.hop.peer},
                     {"addr", p.hop.addr},
                     {"sections", json::array({p.hop.begin, p.hop.end})},
                     {"funding", FundingText(p.funding)},
                     {"paid", ValueFromAmount(p.paid)}};
          if (p.receipt) {
            entry["receipt"] = HexStr(Serialize(*p.receipt));
            entry["amount"] = ValueFromAmount(p.receipt->amount);
            entry["tokens"] = p.receipt->tokens;
          }
          payments.push_back(entry);
        }
        return json{{"payments", payments},
                    {"completion", result.decode.text},
                    {"tokens", tokens},
                    {"stopped", result.decode.stopped},
                    {"route", RouteJson(result.route)},
                    {"cost", ValueFromAmount(result.cost)},
                    {"tokens_billed", result.tokens_billed},
                    {"reroutes", result.reroutes},
                    {"state_root", result.state_root.ToHex()},
                    {"onion", result.onion}};
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
            {RpcType::kHex, "onion_key",
             "the key onion layers to this holder are sealed to, drawn at start (serving only)"},
            {RpcType::kNumber, "sessions", "sessions held now"},
            {RpcType::kNumber, "sessions_started", "sessions begun, ever"},
            {RpcType::kNumber, "sessions_evicted", "sessions dropped for room or idleness"},
            {RpcType::kNumber, "tokens_served", "positions computed for clients (replays too)"},
            {RpcType::kNumber, "steps_served", "inferstep messages answered"},
            {RpcType::kNumber, "steps_refused", "inferstep and onion steps refused"},
            {RpcType::kNumber, "onion_forwarded", "onion steps passed on to a next hop"},
            {RpcType::kArray, "holders",
             "announcements of connected peers: peer, addr, sections, state_root, price, "
             "sessions, max_sessions, onion_key, time (ms, the holder's clock), links (the "
             "onion keys of the holders it is connected to), bonded (a registered worker's "
             "bonds stand behind its receipts)"},
            {RpcType::kArray, "relayed_holders",
             "announcements relayed to this node of holders that are not its peers, the same "
             "fields but peer and addr; onion routing reaches them"},
            {RpcType::kNumber, "requests", "infer calls that sent a step"},
            {RpcType::kNumber, "tokens_generated", "tokens those calls generated"},
            {RpcType::kHex, "payee", "the key holders' channels must name (serving with a price)"},
            {RpcType::kNumber, "earned", "coins paid to this holder by its channels' best updates"},
            {RpcType::kNumber, "settled", "of which in settlements on chain (closing or closed)"},
            {RpcType::kNumber, "holder_channels", "channels paying this holder"},
            {RpcType::kNumber, "spent", "coins this node's wallet paid over its client channels"},
            {RpcType::kNumber, "client_channels", "channels this node's wallet pays over"},
            {RpcType::kNumber, "request_costs", "coins infer calls of this process signed"},
            {RpcType::kNumber, "spot_checked_steps",
             "hop steps this node re-executed to check them (-inferspotcheck)"},
            {RpcType::kNumber, "wrong_outputs", "of which farther than the model's tolerance"},
            {RpcType::kArray,
             "caught_holders",
             "onion keys of the holders that served a wrong output; not routed through again",
             {{RpcType::kHex, "onion_key", ""}}},
            {RpcType::kNumber, "holders_slashed",
             "slashing transactions this node submitted against the workers that vouched for "
             "caught holders"},
            {RpcType::kHex, "bonded_by",
             "the worker key whose bonds stand behind this holder's receipts (serving with a "
             "price on a worker node)"},
        }}},
      ExampleCli("getinferenceinfo", "") + ExampleRpc("getinferenceinfo", ""),
      [&node](const RpcMethod&, const RpcRequest&) -> json {
        const InferenceInfo info = InferenceOrThrow(node).Info();
        auto holder_json = [](const HolderInfo& h) {
          json links = json::array();
          for (const XOnlyPubKeyBytes& key : h.info.links) links.push_back(HexStr(key));
          json out{{"sections", json::array({h.info.section_begin, h.info.section_end})},
                   {"state_root", h.info.state_root.ToHex()},
                   {"price", ValueFromAmount(h.info.price)},
                   {"sessions", h.info.sessions},
                   {"max_sessions", h.info.max_sessions},
                   {"onion_key", HexStr(h.info.onion_key)},
                   {"bonded", h.info.bond && VerifyHolderBond(*h.info.bond, h.info.payee)},
                   {"time", h.info.time},
                   {"links", links}};
          if (h.peer >= 0) {
            out["peer"] = h.peer;
            out["addr"] = h.addr;
          }
          return out;
        };
        json holders = json::array(), relayed = json::array();
        for (const HolderInfo& h : info.holders) holders.push_back(holder_json(h));
        for (const HolderInfo& h : info.relayed_holders) relayed.push_back(holder_json(h));
        json out{{"serving", info.serving}};
        if (info.serving) {
          out["sections"] = json::array({info.begin, info.end});
          out["price"] = ValueFromAmount(info.price);
          out["state_root"] = info.state_root.ToHex();
          out["onion_key"] = HexStr(info.onion_key);
        }
        out["sessions"] = info.serve.sessions;
        out["sessions_started"] = info.serve.sessions_started;
        out["sessions_evicted"] = info.serve.sessions_evicted;
        out["tokens_served"] = info.serve.positions;
        out["steps_served"] = info.steps_served;
        out["steps_refused"] = info.steps_refused;
        out["onion_forwarded"] = info.onion_forwarded;
        out["holders"] = holders;
        out["relayed_holders"] = relayed;
        out["requests"] = info.requests;
        out["tokens_generated"] = info.tokens_generated;
        if (info.price > 0) out["payee"] = HexStr(info.payee);
        out["earned"] = ValueFromAmount(info.earned);
        out["settled"] = ValueFromAmount(info.settled);
        out["holder_channels"] = info.holder_channels;
        out["spent"] = ValueFromAmount(info.spent);
        out["client_channels"] = info.client_channels;
        out["request_costs"] = ValueFromAmount(info.request_costs);
        out["spot_checked_steps"] = info.spot_checked_steps;
        out["wrong_outputs"] = info.wrong_outputs;
        json caught = json::array();
        for (const XOnlyPubKeyBytes& key : info.caught_holders) caught.push_back(HexStr(key));
        out["caught_holders"] = std::move(caught);
        out["holders_slashed"] = info.holders_slashed;
        if (info.bonded_by) out["bonded_by"] = HexStr(*info.bonded_by);
        return out;
      }};
}

RpcMethod listreceipts(NodeContext& node) {
  return RpcMethod{
      "listreceipts",
      "Lists the receipts holders signed for this node's infer requests, per payment channel,\n"
      "in the order the channel's updates commit them, each with its proof against the\n"
      "channel's receipts root: once the channel's settlement is in a block,\n"
      "computecoin-light verifyreceipt <proof> <close_txid> <blockhash> proves it was paid.",
      {},
      {{RpcType::kArray,
        "",
        "",
        {{RpcType::kObject,
          "",
          "",
          {{RpcType::kString, "funding", "the channel, txid:vout"},
           {RpcType::kHex, "receipts_root", "ReceiptsRoot of the receipts below"},
           {RpcType::kBool, "committed", "whether the wallet's best update commits that root"},
           {RpcType::kNumber, "paid", "what the best update pays"},
           {RpcType::kString, "state", "the channel's state in the wallet"},
           {RpcType::kHex, "close_txid", "the settlement, when closing or closed"},
           {RpcType::kArray, "receipts",
            "receipt (hex), proof (hex of a ReceiptProof), hash, request_id, sections, tokens, "
            "amount"}}}}}},
      ExampleCli("listreceipts", "") + ExampleRpc("listreceipts", ""),
      [&node](const RpcMethod&, const RpcRequest& request) -> json {
        std::shared_ptr<wallet::Wallet> w = NamedWallet(node, request);
        if (w == nullptr) w = DefaultWallet(node);
        json out = json::array();
        for (const ChannelReceipts& channel : InferenceOrThrow(node).Receipts()) {
          const Uint256 root = ReceiptsRoot(channel.receipts);
          json entry{{"funding", FundingText(channel.funding)}, {"receipts_root", root.ToHex()}};
          wallet::ChannelInfo info;
          if (w != nullptr && w->GetChannel(channel.funding, &info).ok()) {
            entry["committed"] = info.record.best.receipts_root == root;
            entry["paid"] = ValueFromAmount(info.record.best.paid);
            entry["state"] = wallet::ChannelStateName(info.state);
            if (info.state == wallet::ChannelState::kClosing ||
                info.state == wallet::ChannelState::kClosed)
              entry["close_txid"] = info.close_txid.ToHex();
          }
          json receipts = json::array();
          for (size_t i = 0; i < channel.receipts.size(); ++i) {
            const Receipt& r = channel.receipts[i];
            ReceiptProof proof;
            if (!MakeReceiptProof(channel.receipts, i, &proof).ok()) continue;
            receipts.push_back({{"receipt", HexStr(Serialize(r))},
                                {"proof", HexStr(Serialize(proof))},
                                {"hash", r.Hash().ToHex()},
                                {"request_id", r.request_id.ToHex()},
                                {"sections", json::array({r.section_begin, r.section_end})},
                                {"tokens", r.tokens},
                                {"amount", ValueFromAmount(r.amount)}});
          }
          entry["receipts"] = receipts;
          out.push_back(entry);
        }
        return out;
      }};
}

}  // namespace

Status RegisterInferenceRpcs(rpc::RpcTable& table, NodeContext& node) {
  static const rpc::RpcCommand<NodeContext> kCommands[] = {
      {"inference", &infer},
      {"inference", &getinferenceinfo},
      {"inference", &listreceipts},
  };
  return table.AddAll(kCommands, node);
}

}  // namespace cc
