// computecoind's life: start-up, serving, and clean shutdown (Bitcoin Core's
// init.cpp).
//
// Start-up, in order: options and configuration; the network directory and
// its lock; the log; the RPC server (in warm-up: calls get -28 until the
// chain is loaded, so `computecoin-cli -rpcwait` can wait for a node that is
// still starting); the chain, with the genesis block written on first start;
// then warm-up ends. Shutdown, on SIGINT, SIGTERM or the `stop` RPC: the
// RPC server stops (replies in flight are written), the cookie is deleted,
// the chain database is closed, the lock released; the exit status is 0.
// A start-up failure is logged and printed ("Error: ...") and undone the
// same way; the exit status is then 1.

#ifndef COMPUTECOIN_NODE_INIT_H
#define COMPUTECOIN_NODE_INIT_H

#include "chain/status.h"
#include "node/context.h"

namespace cc {

/// Opens the chain database in node->datadir/chainstate (after completing an
/// interrupted -reindex swap, validation/reindex.h) and, if it is empty,
/// connects the network's genesis block. Returns the store's errors (a
/// Corruption ending with how to recover: -reindex), or
/// Corruption "Incorrect or no genesis block found. Wrong datadir for
/// network?" if the stored chain starts with another genesis.
/// REQUIRES: node->params and node->datadir are set.
Status LoadChain(NodeContext* node);

/// computecoind's main(): runs the node until shutdown. Returns the exit status.
int NodeMain(int argc, const char* const argv[]);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_INIT_H
