// The options of the three programs and the start-up sequence they share:
// command line -> datadir -> configuration file -> network -> network dir.
// Option names and meanings follow Bitcoin Core's where they exist; every
// option is listed in doc/node.md.
//
// Thread safety: call from the main thread during start-up.

#ifndef COMPUTECOIN_NODE_ARGS_H
#define COMPUTECOIN_NODE_ARGS_H

#include <filesystem>

#include "chain/status.h"
#include "consensus/chainparams.h"
#include "node/config.h"
#include "rpc/client.h"

namespace cc {

/// -conf, -datadir, -chain, -regtest, -testnet, -devnet, -help, -version.
void AddCommonArgs(Config* config);
/// computecoind's options (includes the common ones).
void AddNodeArgs(Config* config);
/// computecoin-cli's options (includes the common ones).
void AddCliArgs(Config* config);
/// computecoin-light's options (includes the common ones).
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

}  // namespace cc

#endif  // COMPUTECOIN_NODE_ARGS_H
