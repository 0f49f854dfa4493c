#include "node/node_args.h"

#include <chrono>
#include <string>

#include "node/api.h"
#include "node/common/args.h"
#include "node/daemon.h"
#include "node/inference.h"
#include "node/miner.h"
#include "node/network.h"
#include "node/training.h"
#include "node/wallets.h"
#include "rpc/http_server.h"

namespace cc {
namespace {

void AddNodeOwnArgs(Config* c) {
  AddCommonArgs(c);
  AddTrainingArgs(c);
  AddMinerArgs(c);
  AddNetworkArgs(c);
  AddInferenceArgs(c);
  AddApiArgs(c);
  AddWalletArgs(c);
  AddDaemonArgs(c);
  c->AddArg("-printtoconsole", "Send log lines to the console as well as to debug.log (default: 0)",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-reindex",
            "Rebuild the block index, the UTXO set and the consensus state from the stored "
            "blocks, re-verifying them (also recovers a damaged chain database)",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-reindex-chainstate",
            "Rebuild the UTXO set and the consensus state from the block index and its blocks, "
            "re-verifying them",
            Config::kBool, Config::kNone, kOptions);
  c->AddArg("-checkblocks=<n>",
            "How many blocks to check at startup (default: " + std::to_string(kDefaultCheckBlocks) +
                ", 0 = all)",
            Config::kInt, Config::kNone, kOptions);
  c->AddArg("-checklevel=<n>",
            "How thorough the block verification of -checkblocks is: 0-4 (default: " +
                std::to_string(kDefaultCheckLevel) + "; see verifychain)",
            Config::kInt, Config::kNone, kOptions);
  c->AddArg("-server", "Accept JSON-RPC commands (default: 1)", Config::kBool, Config::kNone,
            kRpcServer);
  c->AddArg(
      "-rpcbind=<addr>[:port]",
      "Bind to the given address to listen for JSON-RPC connections; may be given more than once "
      "(default: 127.0.0.1). Without -rpcallowip only loopback clients are accepted",
      Config::kString, Config::kMulti | Config::kNetworkOnly, kRpcServer);
  c->AddArg(
      "-rpcallowip=<ip>",
      "Allow JSON-RPC connections from the given source: an IP (1.2.3.4, fd00::1) or a subnet "
      "(1.2.3.0/24, fd00::/8); may be given more than once. Loopback is always allowed",
      Config::kString, Config::kMulti, kRpcServer);
  c->AddArg("-rpcport=<port>", "Listen for JSON-RPC connections on <port> " + RpcPortDefaults(),
            Config::kInt, Config::kNetworkOnly, kRpcServer);
  c->AddArg("-rpcuser=<user>", "Username for JSON-RPC connections", Config::kString, Config::kNone,
            kRpcServer);
  c->AddArg("-rpcpassword=<pw>",
            "Password for JSON-RPC connections; without it a cookie file is used", Config::kString,
            Config::kNone, kRpcServer);
  c->AddArg("-rpcauth=<userpw>",
            "Username and HMAC-SHA-256 hashed password for JSON-RPC connections, as "
            "<USERNAME>:<SALT>$<HASH> "
            "(see doc/rpc.md); may be given more than once",
            Config::kString, Config::kMulti, kRpcServer);
  c->AddArg("-rpccookiefile=<loc>",
            "Location of the auth cookie, relative to the network directory (default: .cookie)",
            Config::kString, Config::kNone, kRpcServer);
  const rpc::HttpServerOptions defaults;  // the one home of the server's defaults
  auto with_default = [](const std::string& text, auto value) {
    return text + " (default: " + std::to_string(value) + ")";
  };
  c->AddArg("-rpcthreads=<n>",
            with_default("Number of threads to service RPC calls", defaults.threads), Config::kInt,
            Config::kNone, kRpcServer);
  c->AddArg(
      "-rpcworkqueue=<n>",
      with_default("Depth of the queue of RPC calls waiting for a thread", defaults.work_queue),
      Config::kInt, Config::kNone, kRpcServer);
  c->AddArg(
      "-rpcservertimeout=<n>",
      with_default("Timeout in seconds for idle or slow HTTP connections",
                   std::chrono::duration_cast<std::chrono::seconds>(defaults.idle_timeout).count()),
      Config::kInt, Config::kNone, kRpcServer);
  c->AddArg(
      "-rpcmaxconnections=<n>",
      with_default("Maximum number of simultaneous RPC connections", defaults.max_connections),
      Config::kInt, Config::kNone, kRpcServer);
  c->AddArg("-rpcmaxbodysize=<n>",
            with_default("Maximum size in bytes of an RPC request body", defaults.max_body_bytes),
            Config::kInt, Config::kNone, kRpcServer);
}

}  // namespace

void AddNodeArgs(Config* c) {
  AddNodeOwnArgs(c);
  // The configuration file is shared: the node accepts the clients' options
  // there (and checks every name, so a typo in the file stops the node).
  for (void (*other)(Config*) : {&AddCliOwnArgs, &AddLightOwnArgs}) {
    Config foreign;
    other(&foreign);
    c->AddForeignArgs(foreign);
  }
}

}  // namespace cc
