#include "node/init.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "chain/logging.h"
#include "consensus/genesis.h"
#include "node/api.h"
#include "node/common/args.h"
#include "node/common/config.h"
#include "node/common/datadir.h"
#include "node/common/version.h"
#include "node/daemon.h"
#include "node/fee_estimation.h"
#include "node/memory.h"
#include "node/miner.h"
#include "node/network.h"
#include "node/node_args.h"
#include "node/rpc_register.h"
#include "node/shutdown.h"
#include "node/training.h"
#include "node/wallets.h"
#include "rpc/auth.h"
#include "rpc/http_server.h"
#include "rpc/table.h"
#include "validation/reindex.h"

namespace cc {
namespace {

// Often enough that a node's resident memory tracks its live heap within a
// few steps' worth of tensors. A trim costs ~1 ms with nothing to give back
// and ~0.85 ms per MB it gives back (252 MB in 213 ms here), so at a devnet
// node's 5 MB a step it takes the main thread well under 1% of its time.
constexpr std::chrono::seconds kHeapTrimInterval{5};

void InitError(const std::string& message) {
  LogPrintf("Error: " + message);
  std::fprintf(stderr, "Error: %s\n", message.c_str());
}

std::filesystem::path CookiePath(const Config& config, const std::filesystem::path& network_dir) {
  std::filesystem::path cookie = config.GetArg("rpccookiefile", std::string(rpc::kCookieFileName));
  return cookie.is_relative() ? network_dir / cookie : cookie;
}

// Reads an integer option in [1, max]; InvalidArgument names it and the
// range otherwise (an unbounded -rpcthreads aborted the node when the
// system would not make that many threads).
Status BoundedArg(const Config& config, const std::string& name, int64_t fallback, int64_t max,
                  int64_t* out) {
  const int64_t value = config.GetIntArg(name, fallback);
  if (value <= 0 || value > max)
    return Status::InvalidArgument("-" + name + " must be in [1, " + std::to_string(max) + "]");
  *out = value;
  return Status::OK();
}

Status ServerOptionsFromConfig(const Config& config, const ChainParams& params,
                               rpc::HttpServerOptions* options) {
  rpc::HttpServerOptions out;
  const int64_t port = config.GetIntArg("rpcport", params.rpc_port);
  if (port <= 0 || port > 65535)
    return Status::InvalidArgument("Invalid -rpcport=" + std::to_string(port));
  out.port = static_cast<uint16_t>(port);
  out.allow_ip = config.GetArgs("rpcallowip");
  const std::vector<std::string> binds = config.GetArgs("rpcbind");
  if (out.allow_ip.empty()) {
    // As Bitcoin Core: without -rpcallowip only loopback can connect, so
    // binding anything else would only expose the port.
    if (!binds.empty())
      LogPrintf("WARNING: option -rpcbind was ignored because -rpcallowip was not specified");
    out.bind = {"127.0.0.1"};
  } else {
    out.bind = binds.empty() ? std::vector<std::string>{"0.0.0.0"} : binds;
  }
  // The defaults are HttpServerOptions' own (their one home; the -help
  // text in node_args.cpp reads them too).
  const rpc::HttpServerOptions defaults;
  int64_t value = 0;
  Status s = BoundedArg(config, "rpcthreads", static_cast<int64_t>(defaults.threads), 1024, &value);
  out.threads = static_cast<size_t>(value);
  if (s.ok())
    s = BoundedArg(config, "rpcworkqueue", static_cast<int64_t>(defaults.work_queue), 1'000'000,
                   &value);
  out.work_queue = static_cast<size_t>(value);
  if (s.ok())
    s = BoundedArg(config, "rpcservertimeout",
                   std::chrono::duration_cast<std::chrono::seconds>(defaults.idle_timeout).count(),
                   86'400, &value);
  out.idle_timeout = std::chrono::seconds(value);
  if (s.ok())
    s = BoundedArg(config, "rpcmaxconnections", static_cast<int64_t>(defaults.max_connections),
                   65'536, &value);
  out.max_connections = static_cast<size_t>(value);
  if (s.ok())
    s = BoundedArg(config, "rpcmaxbodysize", static_cast<int64_t>(defaults.max_body_bytes),
                   int64_t{1} << 30, &value);
  out.max_body_bytes = static_cast<size_t>(value);
  if (!s.ok()) return s;
  out.log = [](const std::string& line) { LogPrintf(line); };
  *options = std::move(out);
  return Status::OK();
}

// Sets up the credentials: rpcpassword, or else a fresh cookie; plus every
// rpcauth line. *cookie is set when a cookie file was written.
Status SetUpAuth(const Config& config, const std::filesystem::path& cookie_path,
                 rpc::RpcAuthenticator* auth, bool* cookie) {
  *cookie = false;
  std::optional<std::pair<std::string, std::string>> credentials;
  if (Status s = RpcPasswordCredentials(config, &credentials); !s.ok()) return s;
  if (credentials) {
    auth->AddUserPassword(credentials->first, credentials->second);
  } else {
    std::string secret;
    Status s = rpc::GenerateAuthCookie(cookie_path, &secret);
    if (!s.ok()) return s;
    auth->AddUserPassword(std::string(rpc::kCookieUser), secret);
    *cookie = true;
    LogPrintf("Generated RPC authentication cookie " + cookie_path.string());
  }
  for (const std::string& line : config.GetArgs("rpcauth")) {
    Status s = auth->AddRpcAuth(line);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// -reindex / -reindex-chainstate: rebuilds the chain database before it is
// opened; the blocks are re-validated once consensus is up (StartTraining).
Status MaybeReindex(const Config& config, const NodeContext& node) {
  const bool full = config.GetBoolArg("reindex", false);
  if (!full && !config.GetBoolArg("reindex-chainstate", false)) return Status::OK();
  return RebuildChainDatabase(node.datadir, full ? ReindexMode::kFull : ReindexMode::kChainstate,
                              BuildGenesisBlock(*node.params), BlockStoreOptions{});
}

}  // namespace

Status LoadChain(NodeContext* node) {
  const std::filesystem::path path = node->datadir / "chainstate";
  Status s = RecoverInterruptedReindex(node->datadir);
  if (s.ok()) s = ChainState::Open(path.string(), BlockStoreOptions{}, &node->chain);
  if (!s.ok()) return WithReindexHint(s);

  s = BootstrapGenesis(*node->params, node->chain.get());
  if (!s.ok()) return s;
  Uint256 tip;
  uint32_t height = 0;
  s = node->chain->GetTip(&tip, &height);
  if (!s.ok()) return s;
  LogPrintf("Loaded the chain: height " + std::to_string(height) + ", tip " + tip.ToHex());
  return Status::OK();
}

int NodeMain(int argc, const char* const argv[]) {
  // First, so that a signal at any later point ends in a clean shutdown.
  Status s = InitShutdownHandling();
  if (!s.ok()) {
    std::fprintf(stderr, "Error: %s\n", s.message().c_str());
    return 1;
  }
  Config config;
  AddNodeArgs(&config);
  s = config.ParseCommandLine(argc, argv);
  if (!s.ok()) {
    std::fprintf(stderr, "Error parsing command line arguments: %s\n", s.message().c_str());
    return 1;
  }
  if (HelpRequested(config)) {
    std::printf(
        "Computecoin daemon version v%s\n\nUsage:  computecoind [options]  Start Computecoin "
        "daemon\n\n%s",
        FormatVersion().c_str(), config.HelpMessage().c_str());
    return 0;
  }
  if (config.GetBoolArg("version", false)) {
    std::printf("Computecoin daemon version v%s\n", FormatVersion().c_str());
    return 0;
  }
  if (!config.positional().empty()) {
    std::fprintf(stderr,
                 "Error: Command line contains unexpected token '%s', see computecoind -h for a "
                 "list of options.\n",
                 config.positional().front().c_str());
    return 1;
  }

  NodeContext node;
  s = LoadConfiguration(&config, &node.params, &node.datadir);
  StartupReport report;  // to a -daemonwait parent
  if (s.ok()) s = Daemonize(config, &report);
  if (s.ok()) s = ApplyTestChainParams(config, &node);
  std::unique_ptr<DirectoryLock> lock;
  if (s.ok()) s = DirectoryLock::Acquire(node.datadir, &lock);
  std::unique_ptr<PidFile> pid_file;  // removed before the lock is released
  if (s.ok()) s = PidFile::Create(config, node.datadir, &pid_file);
  if (!s.ok()) {
    std::fprintf(stderr, "Error: %s\n", s.message().c_str());
    report.Send(s);
    return 1;
  }

  Logger& logger = GetLogger();
  logger.SetPrintToConsole(config.GetBoolArg("printtoconsole", false));
  s = logger.OpenFile(node.datadir / "debug.log");
  if (!s.ok()) {
    InitError(s.message());
    report.Send(s);
    return 1;
  }
  LogPrintf("Computecoin version v" + FormatVersion());
  LogPrintf("Network: " + node.params->name);
  LogPrintf("Using data directory " + node.datadir.string());
  for (const std::string& warning : config.Warnings()) LogPrintf("Warning: " + warning);

  // From here on every exit goes through the same shutdown steps.
  rpc::RpcTable table;
  rpc::RpcAuthenticator auth;
  std::unique_ptr<rpc::HttpRpcServer> server;
  bool wrote_cookie = false;
  const std::filesystem::path cookie_path = CookiePath(config, node.datadir);
  int exit_status = 0;

  s = RegisterNodeRpcs(table, node);
  if (s.ok() && config.GetBoolArg("server", true)) {
    table.SetWarmupStatus("Loading block index...");
    rpc::HttpServerOptions options;
    s = ServerOptionsFromConfig(config, *node.params, &options);
    if (s.ok()) s = SetUpAuth(config, cookie_path, &auth, &wrote_cookie);
    if (s.ok()) {
      server = std::make_unique<rpc::HttpRpcServer>(table, auth, std::move(options));
      s = server->Start();
      if (s.ok()) {
        const std::vector<uint16_t> ports = server->ports();
        LogPrintf("RPC server listening on port " + std::to_string(ports.front()));
      }
    }
    if (!s.ok()) s = Status::IOError("Unable to start HTTP server: " + s.message());
  }
  if (s.ok()) s = MaybeReindex(config, node);
  if (s.ok()) {
    LogPrintf("Loading block index...");
    s = LoadChain(&node);
  }
  if (s.ok()) s = StartTraining(config, &node);
  if (s.ok()) StartFeeEstimation(&node);
  if (s.ok()) s = StartWallets(config, &node);
  if (s.ok()) s = StartNetwork(config, &node);
  if (s.ok() && node.wallets) {
    for (const auto& w : node.wallets->All()) node.wallets->ResubmitTransactions(*w);
  }
  if (s.ok()) s = StartApi(config, &node);
  if (s.ok()) s = StartMiner(config, &node);
  if (s.ok()) {
    table.SetWarmupFinished();
    LogPrintf("Done loading");
    report.Send(Status::OK());
    // The main thread's only task while the node runs: handing freed tensor
    // memory back (node/memory.h says why it is not given back by itself).
    while (!WaitForShutdown(kHeapTrimInterval)) ReleaseFreeHeap();
  } else if (s.IsInterrupted()) {
    // Asked to stop before start-up finished: what was done is kept.
    LogPrintf("Shutdown requested during start-up: " + s.message());
    report.Send(Status::Interrupted("shutdown requested during start-up"));
  } else {
    InitError(s.message());
    report.Send(s);
    exit_status = 1;
  }

  LogPrintf("Shutdown: In progress...");
  if (server) server->Stop();
  server.reset();
  if (wrote_cookie) rpc::DeleteAuthCookie(cookie_path);
  StopMiner(&node);
  StopApi(&node);
  StopNetwork(&node);
  StopWallets(&node);
  if (node.chainman && node.mempool_updater)
    node.chainman->RemoveListener(node.mempool_updater.get());
  StopFeeEstimation(&node);
  if (node.chainman && node.work_pool) node.chainman->RemoveListener(node.work_pool.get());
  node.work_pool.reset();
  node.chainman.reset();
  node.verified_records.reset();
  node.mempool_updater.reset();
  node.mempool.reset();
  node.chain.reset();
  LogPrintf("Shutdown: done");
  logger.Close();
  return exit_status;
}

}  // namespace cc
