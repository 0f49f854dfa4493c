// Shutdown requests: SIGINT, SIGTERM and the `stop` RPC all end in
// RequestShutdown(); the main thread sleeps in WaitForShutdown() until then.
//
// The signal handler only stores to a lock-free atomic and write()s one byte
// to a pipe, both async-signal-safe; WaitForShutdown() blocks in poll() on
// that pipe, so it wakes without polling intervals.
//
// Thread safety: every function may be called from any thread, and
// RequestShutdown() also from a signal handler.

#ifndef COMPUTECOIN_NODE_SHUTDOWN_H
#define COMPUTECOIN_NODE_SHUTDOWN_H

#include <chrono>

#include "chain/status.h"

namespace cc {

/// Creates the wake-up pipe and installs handlers for SIGINT and SIGTERM
/// (and ignores SIGPIPE, so a client closing its socket cannot kill us).
/// Returns IOError if the pipe cannot be created. Call once, early.
Status InitShutdownHandling();

/// Asks the process to shut down. Idempotent.
void RequestShutdown();

/// True once RequestShutdown() has been called.
[[nodiscard]] bool ShutdownRequested();

/// Blocks until RequestShutdown() is called (returns at once if it was), or
/// until `timeout` has passed. Returns whether shutdown was requested.
/// REQUIRES: InitShutdownHandling() succeeded.
bool WaitForShutdown(std::chrono::milliseconds timeout);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_SHUTDOWN_H
