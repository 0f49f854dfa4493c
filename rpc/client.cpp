#include "rpc/client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "rpc/auth.h"

namespace cc::rpc {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

// Replies larger than this are refused rather than buffered.
constexpr uint64_t kMaxReplyBytes = uint64_t{1} << 30;

// Which parameters the cli passes as JSON rather than as strings. Keep in
// step with the methods' argument lists (tests/node checks it).
constexpr CliParamConversion kJsonParams[] = {
    {"getblock", 1, "verbosity"},
    {"getblockhash", 0, "height"},
    {"generate", 0, "nblocks"},
    {"disconnectnode", 1, "nodeid"},
    {"setban", 2, "bantime"},
    {"setban", 3, "absolute"},
    {"getblockheader", 1, "verbose"},
    {"gettxout", 1, "n"},
    {"gettxout", 2, "include_mempool"},
    {"getheaders", 0, "start"},
    {"getheaders", 1, "count"},
    {"evaluatemodel", 0, "count"},
    {"evaluatemodel", 1, "seed"},
    {"completetext", 1, "max_tokens"},
    {"createapikey", 1, "spendingcap"},
    {"infer", 1, "maxtokens"},
    {"infer", 2, "maxfee"},
    {"infer", 3, "options"},
    {"verifychain", 0, "checklevel"},
    {"verifychain", 1, "nblocks"},
    // Raw transactions and the mempool (rpc_rawtransaction.cpp).
    {"createrawtransaction", 0, "inputs"},
    {"createrawtransaction", 1, "outputs"},
    {"createrawtransaction", 2, "locktime"},
    {"createrawtransaction", 3, "replaceable"},
    {"deregisterworker", 1, "fee_rate"},
    {"estimatesmartfee", 0, "conf_target"},
    {"sendrawtransaction", 1, "maxfeerate"},
    {"testmempoolaccept", 0, "rawtxs"},
    {"testmempoolaccept", 1, "maxfeerate"},
    {"getrawtransaction", 1, "verbose"},
    {"getrawmempool", 0, "verbose"},
    // Wallet (rpc_wallet.cpp).
    {"bumpfee", 1, "options"},
    {"createwallet", 1, "disable_private_keys"},
    {"createwallet", 2, "blank"},
    {"fundrawtransaction", 1, "options"},
    {"getbalance", 1, "minconf"},
    {"getreceivedbyaddress", 1, "minconf"},
    {"getreceivedbyaddress", 2, "include_immature_coinbase"},
    {"getreceivedbylabel", 1, "minconf"},
    {"getreceivedbylabel", 2, "include_immature_coinbase"},
    {"gettransaction", 1, "include_watchonly"},
    {"gettransaction", 2, "verbose"},
    {"listreceivedbyaddress", 0, "minconf"},
    {"listreceivedbyaddress", 1, "include_empty"},
    {"listreceivedbyaddress", 2, "include_watchonly"},
    {"listreceivedbyaddress", 4, "include_immature_coinbase"},
    {"listreceivedbylabel", 0, "minconf"},
    {"listreceivedbylabel", 1, "include_empty"},
    {"listreceivedbylabel", 2, "include_watchonly"},
    {"listreceivedbylabel", 3, "include_immature_coinbase"},
    {"listsinceblock", 1, "target_confirmations"},
    {"listtransactions", 1, "count"},
    {"listtransactions", 2, "skip"},
    {"listunspent", 0, "minconf"},
    {"listunspent", 1, "maxconf"},
    {"listunspent", 2, "addresses"},
    {"listunspent", 3, "include_unsafe"},
    {"lockunspent", 0, "unlock"},
    {"lockunspent", 1, "transactions"},
    {"openchannel", 1, "amount"},
    {"openchannel", 2, "timeoutblocks"},
    {"registerworker", 0, "amount"},
    {"registerworker", 2, "fee_rate"},
    {"sendmany", 1, "amounts"},
    {"sendmany", 2, "minconf"},
    {"sendmany", 4, "subtractfeefrom"},
    {"sendmany", 5, "replaceable"},
    {"sendmany", 6, "conf_target"},
    {"sendmany", 8, "fee_rate"},
    {"sendtoaddress", 1, "amount"},

    {"sendtoaddress", 4, "subtractfeefromamount"},
    {"sendtoaddress", 5, "replaceable"},
    {"sendtoaddress", 6, "conf_target"},
    {"sendtoaddress", 8, "avoid_reuse"},
    {"sendtoaddress", 9, "fee_rate"},
    {"signchannelupdate", 1, "amount"},
    {"signrawtransactionwithwallet", 1, "prevtxs"},
    {"walletpassphrase", 1, "timeout"},
};

const CliParamConversion* FindByIndex(const std::string& method, size_t index) {
  for (const CliParamConversion& row : kJsonParams) {
    if (method == row.method && index == static_cast<size_t>(row.index)) return &row;
  }
  return nullptr;
}

const CliParamConversion* FindByName(const std::string& method, const std::string& name) {
  for (const CliParamConversion& row : kJsonParams) {
    if (method == row.method && name == row.name) return &row;
  }
  return nullptr;
}

Status ParseJsonArg(const std::string& text, json* out) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::InvalidArgument("Error parsing JSON: " + text);
  *out = std::move(value);
  return Status::OK();
}

}  // namespace

std::span<const CliParamConversion> CliJsonParams() { return kJsonParams; }

Status CliPositionalParams(const std::string& method, const std::vector<std::string>& args,
                           json* params) {
  json out = json::array();
  for (size_t i = 0; i < args.size(); ++i) {
    if (FindByIndex(method, i) == nullptr) {
      out.push_back(args[i]);
      continue;
    }
    json value;
    Status s = ParseJsonArg(args[i], &value);
    if (!s.ok()) return s;
    out.push_back(std::move(value));
  }
  *params = std::move(out);
  return Status::OK();
}

Status CliNamedParams(const std::string& method, const std::vector<std::string>& args, json* params) {
  json out = json::object();
  for (const std::string& arg : args) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("No '=' in named argument '" + arg +
                                     "', this needs to be name=value");
    }
    const std::string name = arg.substr(0, eq);
    const std::string text = arg.substr(eq + 1);
    if (FindByName(method, name) == nullptr) {
      out[name] = text;
      continue;
    }
    json value;
    Status s = ParseJsonArg(text, &value);
    if (!s.ok()) return s;
    out[name] = std::move(value);
  }
  *params = std::move(out);
  return Status::OK();
}

Status RpcClient::Call(const std::string& method, const json& params, json* reply) {
  return CallStreamed(method, params, {}, reply);
}

Status RpcClient::CallStreamed(const std::string& method, const json& params,
                               const std::function<void(const json&)>& on_event, json* reply) {
  const json request = {{"jsonrpc", "1.0"}, {"id", 1}, {"method", method}, {"params", params}};
  json body;
  Status s = Exchange(request, on_event, &body);
  if (!s.ok()) return s;
  if (!body.is_object() || !body.contains("result") || !body.contains("error")) {
    return Status::Corruption("expected a JSON-RPC reply object from the server");
  }
  *reply = std::move(body);
  return Status::OK();
}

Status RpcClient::Send(const json& request, json* reply) { return Exchange(request, {}, reply); }

Status RpcClient::Exchange(const json& request, const std::function<void(const json&)>& on_event,
                           json* reply) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  net::io_context ioc;
  beast::tcp_stream stream(ioc);

  boost::system::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
  if (ec) return Status::IOError("Could not connect to the server " + where);

  http::request<http::string_body> http_request{http::verb::post, options_.path, 11};
  http_request.set(http::field::host, options_.host);
  http_request.set(http::field::content_type, "application/json");
  http_request.set(http::field::authorization, BasicAuthHeader(options_.user, options_.password));
  http_request.keep_alive(false);
  if (on_event) http_request.set(http::field::accept, "text/event-stream, application/json");
  http_request.body() = request.dump() + "\n";
  http_request.prepare_payload();

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  // A streamed reply's chunks are server-sent events, handled as they
  // arrive: each `data:` event goes to on_event, and the `result` one is the
  // reply. (A reply that is not chunked lands in the body as usual.)
  std::string events;         // bytes of events not yet complete
  std::string streamed_reply;  // the data of the `result` event
  bool bad_event = false;
  auto on_chunk = [&](uint64_t, beast::string_view data, boost::system::error_code&) -> size_t {
    events.append(data.data(), data.size());
    if (events.size() > kMaxReplyBytes) bad_event = true;
    for (size_t end; !bad_event && (end = events.find("\n\n")) != std::string::npos;) {
      std::string kind, payload;
      std::string_view block = std::string_view(events).substr(0, end);
      while (!block.empty()) {
        const size_t eol = std::min(block.find('\n'), block.size());
        const std::string_view line = block.substr(0, eol);
        if (line.starts_with("event: ")) kind = line.substr(7);
        if (line.starts_with("data: ")) payload += line.substr(6);
        block.remove_prefix(std::min(eol + 1, block.size()));
      }
      events.erase(0, end + 2);
      if (kind == "result") {
        streamed_reply = std::move(payload);
        continue;
      }
      const json event = json::parse(payload, nullptr, /*allow_exceptions=*/false);
      if (event.is_discarded()) bad_event = true;
      else if (on_event) on_event(event);
    }
    return data.size();
  };
  if (on_event) parser.on_chunk_body(on_chunk);

  // One chain of asynchronous steps, so that the stream's deadline covers
  // connect, write and read alike.
  std::optional<boost::system::error_code> connect_error;
  boost::system::error_code io_error;
  stream.expires_after(options_.timeout);
  stream.async_connect(endpoints, [&](boost::system::error_code connect_ec, const tcp::endpoint&) {
    connect_error = connect_ec;
    if (connect_ec) return;
    http::async_write(stream, http_request, [&](boost::system::error_code write_ec, size_t) {
      if (write_ec) {
        io_error = write_ec;
        return;
      }
      http::async_read(stream, buffer, parser,
                       [&](boost::system::error_code read_ec, size_t) { io_error = read_ec; });
    });
  });
  ioc.run();

  if (!connect_error || *connect_error) return Status::IOError("Could not connect to the server " + where);
  if (io_error) {
    return Status::IOError("no response from server " + where + ": " + io_error.message());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  const auto& response = parser.get();
  const unsigned status = response.result_int();
  if (bad_event) return Status::Corruption("couldn't parse an event from server " + where);
  if (status == 401) {
    return Status::InvalidArgument("Authorization failed: Incorrect rpcuser or rpcpassword");
  }
  // 400, 404 and 500 carry JSON-RPC error replies; anything else is an HTTP failure.
  if (status >= 400 && status != 400 && status != 404 && status != 500) {
    return Status::Corruption("server returned HTTP error " + std::to_string(status));
  }
  const std::string& text = streamed_reply.empty() ? response.body() : streamed_reply;
  if (text.empty()) return Status::Corruption("no response body from server " + where);
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::Corruption("couldn't parse reply from server");
  *reply = std::move(body);
  return Status::OK();
}

}  // namespace cc::rpc
