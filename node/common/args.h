// The options of the three programs and the start-up sequence they share:
// command line -> datadir -> configuration file -> network -> network dir.
// Option names and meanings follow Bitcoin Core's where they exist; every
// option is listed in doc/node.md.
//
// Thread safety: call from the main thread during start-up.

#ifndef COMPUTECOIN_NODE_COMMON_ARGS_H
#define COMPUTECOIN_NODE_COMMON_ARGS_H

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

#include "chain/status.h"
#include "consensus/chainparams.h"
#include "node/common/config.h"
#include "rpc/client.h"

namespace cc {

/// Help categories.
inline constexpr const char* kOptions = "Options";
inline constexpr const char* kChain = "Chain selection options";
inline constexpr const char* kRpcServer = "RPC server options";
inline constexpr const char* kRpcClient = "RPC client options";

/// "(default: 9332, testnet: 19332, devnet: 29332, regtest: 39443)".
std::string RpcPortDefaults();

/// -conf, -datadir, -chain, -regtest, -testnet, -devnet, -help, -version.
void AddCommonArgs(Config* config);
/// Each program's own options (including the common ones).
void AddCliOwnArgs(Config* config);
void AddLightOwnArgs(Config* config);

/// The options each client parses. The configuration file is shared by
/// the three programs: computecoind accepts every program's options there
/// and rejects any other name (node/node_args.h); the clients accept each
/// other's and skip names they do not know (the node's, or typos the node
/// will report).
void AddCliArgs(Config* config);
void AddLightArgs(Config* config);

/// After ParseCommandLine: resolves the datadir, reads the configuration
/// file, selects the network and creates its directory. On success sets
/// *params and *network_dir. Returns the first failing step's error.
Status LoadConfiguration(Config* config, const ChainParams** params,
                         std::filesystem::path* network_dir);

/// True if -help, -h or -? was given.
[[nodiscard]] bool HelpRequested(const Config& config);

/// How a client (cli, light) reaches the node: -rpcconnect=<host>[:port],
/// -rpcport (default: the network's), -rpcclienttimeout, and credentials
/// from -rpcuser/-rpcpassword or else the cookie file (-rpccookiefile,
/// default <network dir>/.cookie). Returns InvalidArgument for a malformed
/// -rpcconnect, NotFound "Could not locate RPC credentials..." if there is no
/// password and no readable cookie (the node may still be starting).
Status ClientOptionsFromConfig(const Config& config, const ChainParams& params,
                               const std::filesystem::path& network_dir,
                               rpc::RpcClientOptions* options);

/// -rpcuser and -rpcpassword, the credentials node and clients use instead
/// of the cookie, as bitcoind takes them: none (nullopt: use the cookie)
/// unless the password is set and not empty — an empty one would let in
/// anyone who sends an empty password. Returns InvalidArgument for a user
/// name with ':', which HTTP basic authentication could never carry.
Status RpcPasswordCredentials(const Config& config,
                              std::optional<std::pair<std::string, std::string>>* out);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_COMMON_ARGS_H
