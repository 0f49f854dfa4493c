// Start-up of the training side of a node: the in-process worker keys
// (-worker, -workers=N), the verification policy (-verify=) and the
// ChainManager over the node's chain.
//
// Worker keys persist in "<datadir>/workers.dat" (32-byte secrets, one after
// another, mode 0600) so a restarted node keeps its registrations.
//
// Thread safety: call during start-up, before the RPC server serves calls.

#ifndef COMPUTECOIN_NODE_TRAINING_H
#define COMPUTECOIN_NODE_TRAINING_H

#include "chain/status.h"
#include "node/common/config.h"
#include "node/context.h"

namespace cc {

/// Adds -worker, -workers=<n> and -verify=<policy> to the node's options.
void AddTrainingArgs(Config* config);

/// Reads the options, loads or creates the worker keys and opens
/// node->chainman over node->chain. Returns InvalidArgument for a bad
/// -verify or -workers (more than one worker outside regtest), IOError if
/// the key file cannot be read or written, and ChainManager::Open's errors.
/// REQUIRES: node->chain is open.
Status StartTraining(const Config& config, NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_TRAINING_H
