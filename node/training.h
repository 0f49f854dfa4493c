// Start-up of the training side of a node: the in-process worker keys
// (-worker, -workers=N), where units are computed (-computedevice,
// -computethreads), the verification policy (-verify=) and the
// ChainManager over the node's chain.
//
// Worker keys persist in "<datadir>/workers.dat" (32-byte secrets, one after
// another, mode 0600) so a restarted node keeps its registrations.
//
// Thread safety: call during start-up, before the RPC server serves calls.

#ifndef COMPUTECOIN_NODE_TRAINING_H
#define COMPUTECOIN_NODE_TRAINING_H

#include <cstdint>

#include "chain/status.h"
#include "node/common/config.h"
#include "node/context.h"

namespace cc {

/// -checkblocks and -checklevel defaults (Bitcoin Core's): the start-up
/// check of the chain's last blocks (ChainManager::VerifyChain).
inline constexpr int64_t kDefaultCheckBlocks = 6;
inline constexpr int64_t kDefaultCheckLevel = 3;

/// Adds -worker, -workers=<n>, -computedevice=<dev>, -computethreads=<n> and
/// -verify=<policy> to the node's options.
void AddTrainingArgs(Config* config);

/// Reads the options, loads or creates the worker keys, opens
/// node->chainman over node->chain, finishes a pending -reindex
/// (validation/reindex.h: re-validates the stored blocks) and checks the
/// last -checkblocks blocks at -checklevel. Returns InvalidArgument for a
/// bad -verify, -computedevice (unknown, or a GPU this libtorch cannot
/// use), -computethreads, -workers (more than one worker outside regtest),
/// -checkblocks or -checklevel, IOError if the key file cannot be read or
/// written, ChainManager::Open's errors, and Corruption "Corrupted block
/// database detected: ..." from the check; Corruption always ends with how
/// to recover (-reindex). REQUIRES: node->chain is open.
Status StartTraining(const Config& config, NodeContext* node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_TRAINING_H
