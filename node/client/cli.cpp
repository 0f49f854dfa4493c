#include "node/client/cli.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "node/common/args.h"
#include "node/common/config.h"
#include "node/common/version.h"
#include "rpc/client.h"
#include "rpc/json_format.h"
#include "rpc/protocol.h"

namespace cc {
namespace {

using rpc::json;

constexpr std::chrono::seconds kRpcWaitInterval{1};

// What a call came back with: a transport-level failure (status not OK), or
// a JSON-RPC reply (or, for -getinfo, the assembled object).
struct Outcome {
  Status status;
  json reply;  //!< {"result", "error"} when status is OK
};

bool IsWarmupError(const json& reply) {
  return reply.contains("error") && reply["error"].is_object() &&
         rpc::FieldOr<int>(reply["error"], "code", 0) == rpc::kRpcInWarmup;
}

// Worth another try under -rpcwait: the node is not up (yet).
bool IsTransient(const Outcome& outcome) {
  return outcome.status.IsIOError() || outcome.status.IsNotFound() ||
         (outcome.status.ok() && IsWarmupError(outcome.reply));
}

// -getinfo: one batch, combined into one object as bitcoin-cli 0.21 did.
Outcome GetInfo(rpc::RpcClient& client) {
  const json batch = json::array({
      {{"jsonrpc", "1.0"}, {"id", 0}, {"method", "getnetworkinfo"}, {"params", json::array()}},
      {{"jsonrpc", "1.0"}, {"id", 1}, {"method", "getblockchaininfo"}, {"params", json::array()}},
  });
  json replies;
  Status s = client.Send(batch, &replies);
  if (!s.ok()) return {s, {}};
  if (!replies.is_array() || replies.size() != 2) {
    // A batch the server refused as a whole comes back as one error object.
    if (replies.is_object() && replies.contains("error")) return {Status::OK(), replies};
    return {Status::Corruption("unexpected reply to the -getinfo batch"), {}};
  }
  json by_id[2];
  for (const json& reply : replies) {
    const int id = rpc::FieldOr<int>(reply, "id", -1);
    if (id != 0 && id != 1) return {Status::Corruption("unexpected id in the -getinfo reply"), {}};
    if (!reply.value("error", json()).is_null()) return {Status::OK(), reply};
    by_id[id] = reply.value("result", json());
  }
  const json& network = by_id[0];
  const json& chain = by_id[1];
  json info = {
      {"version", rpc::FieldOr<int64_t>(network, "version", 0)},
      {"blocks", rpc::FieldOr<int64_t>(chain, "blocks", 0)},
      {"headers", rpc::FieldOr<int64_t>(chain, "headers", 0)},
      {"bestblockhash", rpc::FieldOr<std::string>(chain, "bestblockhash", "")},
      {"chain", rpc::FieldOr<std::string>(chain, "chain", "")},
      {"connections", rpc::FieldOr<int64_t>(network, "connections", 0)},
      {"warnings", rpc::FieldOr<std::string>(chain, "warnings", "")}};
  return {Status::OK(), json{{"result", std::move(info)}, {"error", nullptr}}};
}

// "/wallet/<name>" with the name percent-encoded (bitcoin-cli's -rpcwallet).
std::string WalletPath(const std::string& name) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string path = "/wallet/";
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      path += static_cast<char>(c);
    } else {
      path += '%';
      path += kHex[c >> 4];
      path += kHex[c & 15];
    }
  }
  return path;
}

// Methods whose progress the cli can show as it comes (-stream), and how:
// infer's is its text.
bool Streams(const std::string& method) { return method == "infer"; }

// -stream: infer's text goes to stdout as it arrives, as the bytes the
// model generated (its tokens; the JSON text would replace invalid UTF-8).
void PrintText(const json& event, std::string* shown) {
  std::string bytes;
  const json tokens = event.value("tokens", json::array());
  for (const json& t : tokens) {
    if (t.is_number_unsigned() && t.get<uint64_t>() < 256)
      bytes.push_back(static_cast<char>(t.get<uint64_t>()));
  }
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
  *shown += bytes;
}

Outcome CallOnce(const Config& config, const ChainParams& params,
                 const std::filesystem::path& network_dir, bool getinfo, const std::string& method,
                 const json& call_params, std::string* shown) {
  rpc::RpcClientOptions options;
  // Read per attempt: a starting node writes its cookie only once it is up.
  Status s = ClientOptionsFromConfig(config, params, network_dir, &options);
  if (!s.ok()) return {s, {}};
  if (config.IsSet("rpcwallet")) options.path = WalletPath(config.GetArg("rpcwallet", ""));
  rpc::RpcClient client(options);
  if (getinfo) return GetInfo(client);
  json reply;
  if (shown != nullptr) {
    s = client.CallStreamed(method, call_params,
                            [&](const json& event) { PrintText(event, shown); }, &reply);
  } else {
    s = client.Call(method, call_params, &reply);
  }
  return {s, std::move(reply)};
}

int PrintError(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return EXIT_FAILURE;
}

}  // namespace

int CliMain(int argc, const char* const argv[]) {
  Config config;
  AddCliArgs(&config);
  Status s = config.ParseCommandLine(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "Error parsing command line arguments: %s\n", s.message().c_str());
    return EXIT_FAILURE;
  }
  if (HelpRequested(config)) {
    std::printf(
        "Computecoin RPC client version v%s\n\n"
        "Usage:  computecoin-cli [options] <command> [params]  Send command to Computecoin\n"
        "or:     computecoin-cli [options] -named <command> [name=value]...  Send command to "
        "Computecoin (with named arguments)\n"
        "or:     computecoin-cli [options] help                List commands\n"
        "or:     computecoin-cli [options] help <command>      Get help for a command\n\n%s",
        FormatVersion().c_str(), config.HelpMessage().c_str());
    return EXIT_SUCCESS;
  }
  if (config.GetBoolArg("version", false)) {
    std::printf("Computecoin RPC client version v%s\n", FormatVersion().c_str());
    return EXIT_SUCCESS;
  }

  const ChainParams* params = nullptr;
  std::filesystem::path network_dir;
  s = LoadConfiguration(&config, &params, &network_dir);
  if (!s.ok()) return PrintError(s.message());

  std::vector<std::string> args = config.positional();
  if (config.GetBoolArg("stdin", false)) {
    for (std::string line; std::getline(std::cin, line);) args.push_back(line);
  }
  const bool getinfo = config.GetBoolArg("getinfo", false);
  std::string method;
  json call_params;
  if (getinfo) {
    if (!args.empty()) return PrintError("-getinfo takes no arguments");
  } else {
    if (args.empty()) return PrintError("too few parameters (need at least command)");
    method = args.front();
    args.erase(args.begin());
    s = config.GetBoolArg("named", false) ? rpc::CliNamedParams(method, args, &call_params)
                                          : rpc::CliPositionalParams(method, args, &call_params);
    if (!s.ok()) return PrintError(s.message());
  }

  const bool wait = config.GetBoolArg("rpcwait", false);
  const int64_t wait_timeout = config.GetIntArg("rpcwaittimeout", 0);
  if (wait_timeout < 0) return PrintError("-rpcwaittimeout must not be negative");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_timeout);

  // Streamed as a Petals or llama.cpp user expects at a terminal; piped or
  // scripted, the JSON reply as for any other method.
  const bool stream = !getinfo && Streams(method) &&
                      config.GetBoolArg("stream", isatty(STDOUT_FILENO) == 1);
  std::string shown;  // what -stream printed so far
  Outcome outcome;
  while (true) {
    outcome = CallOnce(config, *params, network_dir, getinfo, method, call_params,
                       stream ? &shown : nullptr);
    if (!wait || !IsTransient(outcome)) break;
    if (wait_timeout > 0 && std::chrono::steady_clock::now() >= deadline) {
      const std::string reason = outcome.status.ok() ? rpc::FieldOr<std::string>(outcome.reply["error"], "message", "")
                                                     : outcome.status.message();
      return PrintError("timeout on transient error: " + reason);
    }
    std::this_thread::sleep_for(kRpcWaitInterval);
  }

  const bool failed = !outcome.status.ok() || !outcome.reply.value("error", json()).is_null();
  if (failed && !shown.empty()) std::printf("\n");  // ends the streamed text before the error
  if (!outcome.status.ok()) {
    std::string message = outcome.status.message();
    if (outcome.status.IsIOError()) {
      message +=
          "\n\nMake sure the computecoind server is running and that you are connecting to the "
          "correct RPC port.";
    }
    return PrintError(message);
  }

  const json& error = outcome.reply["error"];
  if (!error.is_null()) {
    const int code = rpc::FieldOr<int>(error, "code", -1);
    const std::string message =
        error.is_object() ? rpc::FieldOr<std::string>(error, "message", "") : error.dump();
    std::fprintf(stderr, "error code: %d\nerror message:\n%s\n", code, message.c_str());
    // bitcoin-cli exits with |code|; an exit status is 8 bits, so never let it wrap to 0.
    const int exit_status = std::abs(code);
    return (exit_status & 0xff) == 0 ? EXIT_FAILURE : exit_status;
  }
  const json& result = outcome.reply["result"];
  if (stream) {
    // A server that did not stream: the whole completion now.
    if (shown.empty()) std::printf("%s", rpc::FieldOr<std::string>(result, "completion", "").c_str());
    std::printf("\n");
    return EXIT_SUCCESS;
  }
  if (result.is_string()) {
    std::printf("%s\n", result.get<std::string>().c_str());
  } else if (!result.is_null()) {
    std::printf("%s\n", rpc::DumpJson(result, 2).c_str());
  }
  return EXIT_SUCCESS;
}

}  // namespace cc
