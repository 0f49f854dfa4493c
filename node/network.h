// The node's P2P side: options, start-up and shutdown of the address book,
// ban list, connection manager (net/connman.h) and message layer
// (net/net_processing.h), all owned by NodeContext.
//
// Thread safety: call from the main thread during start-up and shutdown.

#ifndef COMPUTECOIN_NODE_NETWORK_H
#define COMPUTECOIN_NODE_NETWORK_H

#include <cstdint>

#include "chain/status.h"
#include "node/common/config.h"

namespace cc {

struct NodeContext;

/// -listen, -port, -bind, -connect, -addnode, -seednode, -maxconnections,
/// -bantime, -networkactive.
void AddNetworkArgs(Config* config);

/// Loads peers.dat and banlist.dat from the network directory, then starts
/// listening and connecting. REQUIRES: node->chain, node->chainman and
/// node->mempool are set. Returns InvalidArgument for a bad option, IOError
/// if the P2P port cannot be bound.
Status StartNetwork(const Config& config, NodeContext* node);

/// Regtest's test-only chain parameters: -checkpoint=<height>:<block id>
/// (tests of the checkpoint rules), -unittimeout=<s> and -slottimeout=<s>
/// (tests that wait for a dead worker's units and slots to pass on),
/// -tensorretention=<steps> (tests of a node joining beyond its peers'
/// retention), and on regtest and devnet -streamcodec=fp32|bf16|int8 (the
/// model's ModelConfig::stream_codec, which changes the model hash and so the
/// genesis block: another network). When any is given, node->params
/// becomes a copy of the network's parameters with them, owned by
/// node->test_params; every node of a test must be given the same. Returns
/// InvalidArgument for a malformed value or on another network. REQUIRES:
/// called before anything uses node->params' address (the chain manager
/// keeps it).
Status ApplyTestChainParams(const Config& config, NodeContext* node);

/// The services this node offers peers: a full node, and a worker when it
/// runs in-process workers (net/protocol.h).
uint64_t LocalServices(const NodeContext& node);

/// Closes every connection and saves the address book. Idempotent.
void StopNetwork(NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_NETWORK_H
