// computecoind's options: its own (RPC server, training, logging) plus the
// clients' (node/common/args.h), which it accepts in the shared
// configuration file so that one file serves all three programs.
//
// Thread safety: call from the main thread during start-up.

#ifndef COMPUTECOIN_NODE_NODE_ARGS_H
#define COMPUTECOIN_NODE_NODE_ARGS_H

#include "node/common/config.h"

namespace cc {

/// Registers every option computecoind parses on the command line and in
/// computecoin.conf. REQUIRES: config is not null.
void AddNodeArgs(Config* config);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_NODE_ARGS_H
