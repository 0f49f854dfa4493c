#include "node/args.h"

#include <charconv>

#include "node/datadir.h"
#include "node/training.h"
#include "rpc/auth.h"

namespace cc {
namespace {

constexpr const char* kOptions = "Options";
constexpr const char* kChain = "Chain selection options";
constexpr const char* kRpcServer = "RPC server options";
constexpr const char* kRpcClient = "RPC client options";

std::string PortDefaults(uint16_t ChainParams::*port) {
  return "(default: " + std::to_string(MainParams().*port) +
         ", testnet: " + std::to_string(TestParams().*port) +
         ", devnet: " + std::to_string(DevnetParams().*port) +
         ", regtest: " + std::to_string(RegtestParams().*port) + ")";
}

void AddClientConnectionArgs(Config* c) {
  c->AddArg("-rpcconnect=<ip>", "Send commands to node running on <ip>, optionally with :<port> (default: 127.0.0.1)",
            Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpcport=<port>", "Connect to JSON-RPC on <port> " + PortDefaults(&ChainParams::rpc_port),
            Config::kInt, Config::kNetworkOnly, kRpcClient);
  c->AddArg("-rpcuser=<user>", "Username for JSON-RPC connections", Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpcpassword=<pw>", "Password for JSON-RPC connections", Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpccookiefile=<loc>", "Location of the auth cookie, relative to the network directory (default: .cookie)",
            Config::kString, Config::kNone, kRpcClient);
  c->AddArg("-rpcclienttimeout=<n>", "Timeout in seconds during HTTP requests (default: 900)", Config::kInt,
            Config::kNone, kRpcClient);
}

}  // namespace

void AddCommonArgs(Config* c) {
  c->AddArg("-?", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly, kOptions);
  c->AddArg("-h", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly, kOptions);
  c->AddArg("-help", "Print this help message and exit", Config::kBool, Config::kCommandLineOnly, kOptions);
  c->AddArg("-version", "Print version and exit", Config::kBool, Config::kCommandLineOnly, kOptions);
  c->AddArg("-conf=<file>", "Specify the configuration file, relative to the datadir unless absolute (default: computecoin.conf)",
            Config::kString, Config::kCommandLineOnly, kOptions);
  c->AddArg("-datadir=<dir>", "Specify the data directory, which must exist (default: ~/.computecoin)",
            Config::kString, Config::kCommandLineOnly, kOptions);
  c->AddArg("-chain=<chain>", "Use the chain <chain>: main, test, devnet or regtest (default: main)",
            Config::kString, Config::kNone, kChain);
  c->AddArg("-regtest", "Use the regression test chain: blocks on demand, for tests. Equivalent to -chain=regtest",
            Config::kBool, Config::kNone, kChain);
  c->AddArg("-testnet", "Use the test chain. Equivalent to -chain=test", Config::kBool, Config::kNone, kChain);
  c->AddArg("-devnet", "Use the development chain, whose small model trains on one laptop. Equivalent to -chain=devnet",
            Config::kBool, Config::kNone, kChain);
}

namespace {

void AddNodeOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddTrainingArgs(c);
  c->AddArg("-printtoconsole", "Send log lines to the console as well as to debug.log (default: 0)",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-server", "Accept JSON-RPC commands (default: 1)", Config::kBool, Config::kNone, kRpcServer);
  c->AddArg("-rpcbind=<addr>[:port]",
            "Bind to the given address to listen for JSON-RPC connections; may be given more than once "
            "(default: 127.0.0.1). Without -rpcallowip only loopback clients are accepted",
            Config::kString, Config::kMulti | Config::kNetworkOnly, kRpcServer);
  c->AddArg("-rpcallowip=<ip>",
            "Allow JSON-RPC connections from the given source: an IP (1.2.3.4, fd00::1) or a subnet "
            "(1.2.3.0/24, fd00::/8); may be given more than once. Loopback is always allowed",
            Config::kString, Config::kMulti, kRpcServer);
  c->AddArg("-rpcport=<port>", "Listen for JSON-RPC connections on <port> " + PortDefaults(&ChainParams::rpc_port),
            Config::kInt, Config::kNetworkOnly, kRpcServer);
  c->AddArg("-rpcuser=<user>", "Username for JSON-RPC connections", Config::kString, Config::kNone, kRpcServer);
  c->AddArg("-rpcpassword=<pw>", "Password for JSON-RPC connections; without it a cookie file is used",
            Config::kString, Config::kNone, kRpcServer);
  c->AddArg("-rpcauth=<userpw>",
            "Username and HMAC-SHA-256 hashed password for JSON-RPC connections, as <USERNAME>:<SALT>$<HASH> "
            "(see doc/rpc.md); may be given more than once",
            Config::kString, Config::kMulti, kRpcServer);
  c->AddArg("-rpccookiefile=<loc>", "Location of the auth cookie, relative to the network directory (default: .cookie)",
            Config::kString, Config::kNone, kRpcServer);
  c->AddArg("-rpcthreads=<n>", "Number of threads to service RPC calls (default: 4)", Config::kInt,
            Config::kNone, kRpcServer);
  c->AddArg("-rpcworkqueue=<n>", "Depth of the queue of RPC calls waiting for a thread (default: 16)",
            Config::kInt, Config::kNone, kRpcServer);
  c->AddArg("-rpcservertimeout=<n>", "Timeout in seconds for idle or slow HTTP connections (default: 30)",
            Config::kInt, Config::kNone, kRpcServer);
  c->AddArg("-rpcmaxconnections=<n>", "Maximum number of simultaneous RPC connections (default: 64)",
            Config::kInt, Config::kNone, kRpcServer);
  c->AddArg("-rpcmaxbodysize=<n>", "Maximum size in bytes of an RPC request body (default: 33554432)",
            Config::kInt, Config::kNone, kRpcServer);
}

void AddCliOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddClientConnectionArgs(c);
  c->AddArg("-rpcwait", "Wait for the RPC server to start", Config::kBool, Config::kNone, kRpcClient);
  c->AddArg("-rpcwaittimeout=<n>", "Timeout in seconds to wait for the RPC server to start, or 0 for no timeout (default: 0)",
            Config::kInt, Config::kNone, kRpcClient);
  c->AddArg("-named", "Pass named instead of positional arguments (default: 0)", Config::kBool, Config::kNone,
            kRpcClient);
  c->AddArg("-getinfo", "Get general information from the remote server, as one JSON object", Config::kBool,
            Config::kCommandLineOnly, kRpcClient);
  c->AddArg("-stdin", "Read extra arguments from standard input, one per line until EOF", Config::kBool,
            Config::kNone, kRpcClient);
}

void AddLightOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddClientConnectionArgs(c);
}

// The configuration file is shared: each program accepts the others' options there.
void AddWithForeign(Config* c, void (*own)(Config*)) {
  own(c);
  for (void (*other)(Config*) : {&AddNodeOwnArgs, &AddCliOwnArgs, &AddLightOwnArgs}) {
    if (other == own) continue;
    Config foreign;
    other(&foreign);
    c->AddForeignArgs(foreign);
  }
}

}  // namespace

void AddNodeArgs(Config* c) { AddWithForeign(c, &AddNodeOwnArgs); }
void AddCliArgs(Config* c) { AddWithForeign(c, &AddCliOwnArgs); }
void AddLightArgs(Config* c) { AddWithForeign(c, &AddLightOwnArgs); }

bool HelpRequested(const Config& config) {
  return config.GetBoolArg("?", false) || config.GetBoolArg("h", false) || config.GetBoolArg("help", false);
}

Status LoadConfiguration(Config* config, const ChainParams** params, std::filesystem::path* network_dir) {
  std::filesystem::path datadir;
  Status s = ResolveDataDir(*config, &datadir);
  if (s.ok()) s = config->ReadConfigFile(datadir);
  if (!s.ok()) return Status::InvalidArgument("Error reading configuration file: " + s.message());
  s = config->SelectNetwork(params);
  if (s.ok()) s = NetworkDataDir(datadir, **params, network_dir);
  return s;
}

Status ClientOptionsFromConfig(const Config& config, const ChainParams& params,
                               const std::filesystem::path& network_dir, rpc::RpcClientOptions* options) {
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
  } else if (!connect.empty() && connect.front() == '[' && connect.find("]:") != std::string::npos) {
    const size_t close = connect.find("]:");
    out.host = connect.substr(1, close - 1);
    const std::string port_text = connect.substr(close + 2);
    uint16_t port = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0) {
      return Status::InvalidArgument("Invalid port in -rpcconnect=" + connect);
    }
    out.port = port;
  } else {
    out.host = connect;
  }
  if (config.IsSet("rpcport")) {
    const int64_t port = config.GetIntArg("rpcport", 0);
    if (port <= 0 || port > 65535) return Status::InvalidArgument("Invalid -rpcport=" + config.GetArg("rpcport", ""));
    out.port = static_cast<uint16_t>(port);
  }
  const int64_t timeout = config.GetIntArg("rpcclienttimeout", 900);
  if (timeout <= 0) return Status::InvalidArgument("-rpcclienttimeout must be positive");
  out.timeout = std::chrono::seconds(timeout);

  if (std::optional<std::string> password = config.Get("rpcpassword")) {
    out.user = config.GetArg("rpcuser", "");
    out.password = *password;
  } else {
    std::filesystem::path cookie = config.GetArg("rpccookiefile", std::string(rpc::kCookieFileName));
    if (cookie.is_relative()) cookie = network_dir / cookie;
    Status s = rpc::ReadAuthCookie(cookie, &out.user, &out.password);
    if (!s.ok()) {
      return Status::NotFound("Could not locate RPC credentials. No authentication cookie could be found (" +
                              cookie.string() + "), and RPC password is not set. See -rpcpassword.");
    }
  }
  *options = std::move(out);
  return Status::OK();
}

}  // namespace cc
