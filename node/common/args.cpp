#include "node/common/args.h"

#include <charconv>
#include <tuple>

#include "node/common/datadir.h"
#include "rpc/auth.h"

namespace cc {
namespace {

void AddClientConnectionArgs(Config* c) {
  c->AddArg("-rpcconnect=<ip>",
            "Send commands to node running on <ip>, optionally with :<port> (default: 127.0.0.1)",
            Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpcport=<port>", "Connect to JSON-RPC on <port> " + RpcPortDefaults(), Config::kInt,
            Config::kNetworkOnly, kRpcClient);
  c->AddArg("-rpcuser=<user>", "Username for JSON-RPC connections", Config::kString, Config::kNone,
            kRpcClient);
  c->AddArg("-rpcpassword=<pw>", "Password for JSON-RPC connections", Config::kString,
            Config::kNone, kRpcClient);
  c->AddArg("-rpccookiefile=<loc>",
            "Location of the auth cookie, relative to the network directory (default: .cookie)",
            Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpcclienttimeout=<n>", "Timeout in seconds during HTTP requests (default: 900)",
            Config::kInt, Config::kNone, kRpcClient);
}

}  // namespace

std::string RpcPortDefaults() {
  return "(default: " + std::to_string(MainParams().rpc_port) +
         ", testnet: " + std::to_string(TestParams().rpc_port) +
         ", devnet: " + std::to_string(DevnetParams().rpc_port) +
         ", regtest: " + std::to_string(RegtestParams().rpc_port) + ")";
}

void AddCommonArgs(Config* c) {
  c->AddArg("-?", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly,
            kOptions);
  c->AddArg("-h", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly,
            kOptions);
  c->AddArg("-help", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly,
            kOptions);
  c->AddArg("-version", "Print version and exit", Config::kBool, Config::kCommandLineOnly,
            kOptions);
  c->AddArg("-conf=<file>",
            "Specify the configuration file, relative to the datadir unless absolute (default: "
            "computecoin.conf)",
            Config::kString, Config::kCommandLineOnly, kOptions);
  c->AddArg("-datadir=<dir>",
            "Specify the data directory, which must exist (default: ~/.computecoin)",
            Config::kString, Config::kCommandLineOnly, kOptions);
  c->AddArg("-chain=<chain>",
            "Use the chain <chain>: main, test, devnet or regtest (default: main)", Config::kString,
            Config::kNone, kChain);
  c->AddArg(
      "-regtest",
      "Use the regression test chain: blocks on demand, for tests. Equivalent to -chain=regtest",
      Config::kBool, Config::kNone, kChain);
  c->AddArg("-testnet", "Use the test chain. Equivalent to -chain=test", Config::kBool,
            Config::kNone, kChain);
  c->AddArg("-devnet",
            "Use the development chain, whose small model trains on one laptop. Equivalent to "
            "-chain=devnet",
            Config::kBool, Config::kNone, kChain);
}

void AddCliOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddClientConnectionArgs(c);
  c->AddArg("-rpcwait", "Wait for the RPC server to start", Config::kBool, Config::kNone,
            kRpcClient);
  c->AddArg(
      "-rpcwaittimeout=<n>",
      "Timeout in seconds to wait for the RPC server to start, or 0 for no timeout (default: 0)",
      Config::kInt, Config::kNone, kRpcClient);
  c->AddArg("-named", "Pass named instead of positional arguments (default: 0)", Config::kBool,
            Config::kNone, kRpcClient);
  c->AddArg("-rpcwallet=<walletname>",
            "Send RPC for non-default wallet on RPC server (needs to exactly match corresponding "
            "-wallet option passed to computecoind); sent as the /wallet/<walletname> path",
            Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-getinfo", "Get general information from the remote server, as one JSON object",
            Config::kBool, Config::kCommandLineOnly, kRpcClient);
  c->AddArg("-stdin", "Read extra arguments from standard input, one per line until EOF",
            Config::kBool, Config::kNone, kRpcClient);
  c->AddArg("-stream",
            "infer: print the completion as its tokens arrive, then a newline, instead of the "
            "JSON reply (default: 1 when standard output is a terminal, else 0)",
            Config::kBool, Config::kNone, kRpcClient);
}

void AddLightOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddClientConnectionArgs(c);
  c->AddArg("-connect=<host:port>",
            "Follow headers and ask proofs over P2P from this full node instead of its RPC "
            "interface; may be given more than once (syncheaders asks each and keeps the chain "
            "with the most accepted work; a proof is asked of the first that answers)",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kRpcClient);
  c->AddArg("-addnode=<host:port>",
            "Also ask this full node over P2P, after the -connect ones; may be given more than "
            "once",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kRpcClient);
}

void AddCliArgs(Config* c) {
  AddCliOwnArgs(c);
  Config light;
  AddLightOwnArgs(&light);
  c->AddForeignArgs(light);
  c->IgnoreUnknownFileOptions();
}

void AddLightArgs(Config* c) {
  AddLightOwnArgs(c);
  Config cli;
  AddCliOwnArgs(&cli);
  c->AddForeignArgs(cli);
  c->IgnoreUnknownFileOptions();
}

bool HelpRequested(const Config& config) {
  return config.GetBoolArg("?", false) || config.GetBoolArg("h", false) ||
         config.GetBoolArg("help", false);
}

Status LoadConfiguration(Config* config, const ChainParams** params,
                         std::filesystem::path* network_dir) {
  std::filesystem::path datadir;
  Status s = ResolveDataDir(*config, &datadir);
  if (s.ok()) s = config->ReadConfigFile(datadir);
  if (!s.ok()) return Status::InvalidArgument(s.message());
  s = config->SelectNetwork(params);
  if (s.ok()) s = NetworkDataDir(datadir, **params, network_dir);
  return s;
}

Status ClientOptionsFromConfig(const Config& config, const ChainParams& params,
                               const std::filesystem::path& network_dir,
                               rpc::RpcClientOptions* options) {
  rpc::RpcClientOptions out;
  out.port = params.rpc_port;
  const std::string connect = config.GetArg("rpcconnect", "127.0.0.1");
  const size_t colon = connect.rfind(':');
  // "host:port", but not a bare IPv6 address ("::1"); "[::1]:port" works.
  if (colon != std::string::npos && connect.find(':') == colon) {
    uint16_t port = 0;
    const char* begin = connect.data() + colon + 1;
    const char* end = connect.data() + connect.size();
    const auto [ptr, ec] = std::from_chars(begin, end, port);
    if (ec != std::errc() || ptr != end || port == 0) {
      return Status::InvalidArgument("Invalid port in -rpcconnect=" + connect);
    }
    out.host = connect.substr(0, colon);
    out.port = port;
  } else if (!connect.empty() && connect.front() == '[' &&
             connect.find("]:") != std::string::npos) {
    const size_t close = connect.find("]:");
    out.host = connect.substr(1, close - 1);
    const std::string port_text = connect.substr(close + 2);
    uint16_t port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0) {
      return Status::InvalidArgument("Invalid port in -rpcconnect=" + connect);
    }
    out.port = port;
  } else {
    out.host = connect;
  }
  if (config.IsSet("rpcport")) {
    const int64_t port = config.GetIntArg("rpcport", 0);
    if (port <= 0 || port > 65535)
      return Status::InvalidArgument("Invalid -rpcport=" + config.GetArg("rpcport", ""));
    out.port = static_cast<uint16_t>(port);
  }
  const int64_t timeout = config.GetIntArg("rpcclienttimeout", 900);
  if (timeout <= 0) return Status::InvalidArgument("-rpcclienttimeout must be positive");
  out.timeout = std::chrono::seconds(timeout);

  std::optional<std::pair<std::string, std::string>> credentials;
  Status s = RpcPasswordCredentials(config, &credentials);
  if (!s.ok()) return s;
  if (credentials) {
    std::tie(out.user, out.password) = *credentials;
  } else {
    std::filesystem::path cookie =
        config.GetArg("rpccookiefile", std::string(rpc::kCookieFileName));
    if (cookie.is_relative()) cookie = network_dir / cookie;
    Status s = rpc::ReadAuthCookie(cookie, &out.user, &out.password);
    if (!s.ok()) {
      return Status::NotFound(
          "Could not locate RPC credentials. No authentication cookie could be found (" +
          cookie.string() + "), and RPC password is not set. See -rpcpassword.");
    }
  }
  *options = std::move(out);
  return Status::OK();
}

Status RpcPasswordCredentials(const Config& config,
                              std::optional<std::pair<std::string, std::string>>* out) {
  out->reset();
  const std::string user = config.GetArg("rpcuser", "");
  if (user.find(':') != std::string::npos)
    return Status::InvalidArgument("-rpcuser must not contain ':'");
  const std::string password = config.GetArg("rpcpassword", "");
  if (!password.empty()) *out = std::make_pair(user, password);
  return Status::OK();
}

}  // namespace cc
