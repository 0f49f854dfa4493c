#!/usr/bin/env bash
# Builds Computecoin, starts a regtest node with three in-process workers,
# and trains the model through the chain: one block per round, each carrying
# a training step's work records, printing step, loss and state root, until
# Ctrl-C (or SIGTERM), which stops the node cleanly. BLOCKS=N stops after N
# blocks and leaves the node running.
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

# libgomp spin-waits by default, which starves a shared 2-core machine.
export OMP_WAIT_POLICY=passive
"$bin/computecoind" "${args[@]}" -workers=3 "$@" &
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
echo "devnet: training; Ctrl-C stops the node"

cli() { "$bin/computecoin-cli" "${args[@]}" "$@"; }
produced=0
while kill -0 "$node" 2>/dev/null; do
  cli generate 1 >/dev/null || break
  produced=$((produced + 1))
  cli gettraininginfo | python3 -c 'import json,sys; t=json.load(sys.stdin); print("devnet: step %d  loss %.4f  work %d  state %s" % (t["step"], t["loss"], t["accepted_work"], t["state_root"][:16]))'
  if [ -n "${BLOCKS:-}" ] && [ "$produced" -ge "$BLOCKS" ]; then
    echo "devnet: produced $produced blocks; node still running (pid $node)"
    exit 0
  fi
done
echo "devnet: the node exited; see $datadir/regtest/debug.log"
