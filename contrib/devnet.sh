#!/usr/bin/env bash
# Builds Computecoin, starts a regtest node, waits until it answers RPC,
# prints its block count, and keeps it running until Ctrl-C (or SIGTERM),
# which stops it cleanly.
#
# Usage: contrib/devnet.sh [extra computecoind options...]
# The datadir is ~/.computecoin (the default, so a plain
# `computecoin-cli -regtest getblockcount` reaches the node); set
# DATADIR=/some/dir to use another one.
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/build.sh
bin="$PWD/build/bin"
datadir="${DATADIR:-$HOME/.computecoin}"
mkdir -p "$datadir"
args=(-regtest "-datadir=$datadir")

"$bin/computecoind" "${args[@]}" "$@" &
node=$!

stop_node() {
  trap - INT TERM
  echo
  echo "devnet: stopping the node"
  "$bin/computecoin-cli" "${args[@]}" stop >/dev/null 2>&1 || kill -TERM "$node" 2>/dev/null || true
  wait "$node" || true
  exit 0
}
trap stop_node INT TERM

if ! count=$("$bin/computecoin-cli" "${args[@]}" -rpcwait -rpcwaittimeout=60 getblockcount); then
  echo "devnet: the node did not answer; see $datadir/regtest/debug.log" >&2
  kill -TERM "$node" 2>/dev/null || true
  wait "$node" || true
  exit 1
fi
echo "devnet: regtest node running (pid $node, datadir $datadir)"
echo "devnet: computecoin-cli -regtest getblockcount -> $count"
echo "devnet: try  $bin/computecoin-cli ${args[*]} getblockchaininfo"
echo "devnet: Ctrl-C stops the node"

# `wait` returns early when a trapped signal arrives; loop until the node exits.
while kill -0 "$node" 2>/dev/null; do
  wait "$node" || true
done
echo "devnet: the node exited; see $datadir/regtest/debug.log"
