// computecoin-cli: sends one RPC call (or -getinfo's batch) to a node and
// prints the result, as bitcoin-cli does.
//
//   computecoin-cli [options] <command> [params]        positional params
//   computecoin-cli [options] -named <command> [name=value]...
//   computecoin-cli [options] -getinfo
//
// Output: a string result is printed as is, null prints nothing, anything
// else as indented JSON; exit status 0.
// Errors go to standard error:
//   a method's error:  "error code: <code>\nerror message:\n<message>",
//                      exit status |code| (as bitcoin-cli: -8 gives 8,
//                      truncated to 8 bits by the OS);
//   anything else:     "error: <message>", exit status 1 (cannot connect,
//                      wrong credentials, bad arguments, -rpcwait timeout).
// With -rpcwait, connection failures, a missing cookie and the -28 warm-up
// error are retried every second until -rpcwaittimeout (0: forever).

#ifndef COMPUTECOIN_NODE_CLIENT_CLI_H
#define COMPUTECOIN_NODE_CLIENT_CLI_H

namespace cc {

/// computecoin-cli's main(). Returns the exit status.
int CliMain(int argc, const char* const argv[]);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CLIENT_CLI_H
