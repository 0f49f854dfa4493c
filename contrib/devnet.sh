#!/usr/bin/env bash
# Builds Computecoin, starts a regtest node with three in-process workers and
# a second node that follows it over P2P, and trains the model through the
# chain: one block per round, each carrying a training step's work records,
# printing step, loss and state root, and the follower's height and state
# root once it has fetched and re-executed the block. Ctrl-C (or SIGTERM)
# stops both nodes cleanly. BLOCKS=N stops after N blocks and leaves the
# nodes running.
#
# Usage: contrib/devnet.sh [extra computecoind options...]
# The datadir is ~/.computecoin (the default, so a plain
# `computecoin-cli -regtest getblockcount` reaches the node); set
# DATADIR=/some/dir to use another one. The follower lives in
# <datadir>/follower (P2P port 39446, RPC port 39445).
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
follower=

stop_node() {
  trap - INT TERM
  echo
  echo "devnet: stopping the node"
  if [ -n "$follower" ]; then
    "$bin/computecoin-cli" "${fargs[@]}" stop >/dev/null 2>&1 || kill -TERM "$follower" 2>/dev/null || true
  fi
  "$bin/computecoin-cli" "${args[@]}" stop >/dev/null 2>&1 || kill -TERM "$node" 2>/dev/null || true
  [ -z "$follower" ] || wait "$follower" || true
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
# A second node that follows over P2P: it fetches every block and the tensors
# its records output, re-executes the work, and must reach the same state root.
mkdir -p "$datadir/follower"
fargs=(-regtest "-datadir=$datadir/follower" -rpcport=39445)
"$bin/computecoind" "${fargs[@]}" -port=39446 -connect=127.0.0.1:39444 &
follower=$!
"$bin/computecoin-cli" "${fargs[@]}" -rpcwait -rpcwaittimeout=60 getblockcount >/dev/null
echo "devnet: regtest node running (pid $node, datadir $datadir), follower (pid $follower) syncing over P2P"
echo "devnet: computecoin-cli -regtest getblockcount -> $count"
echo "devnet: try  $bin/computecoin-cli ${args[*]} getblockchaininfo"
echo "devnet: training; Ctrl-C stops the node"

cli() { "$bin/computecoin-cli" "${args[@]}" "$@"; }
fcli() { "$bin/computecoin-cli" "${fargs[@]}" "$@"; }
produced=0
while kill -0 "$node" 2>/dev/null; do
  cli generate 1 >/dev/null || break
  produced=$((produced + 1))
  line=$(cli gettraininginfo | python3 -c 'import json,sys; t=json.load(sys.stdin); print("devnet: step %d  loss %.4f  work %d  state %s" % (t["step"], t["loss"], t["accepted_work"], t["state_root"][:16]))')
  height=$(cli getblockcount)
  for _ in $(seq 100); do  # the follower fetches and re-executes the block
    [ "$(fcli getblockcount)" -ge "$height" ] && break
    sleep 0.1
  done
  follower_state=$(fcli getblockchaininfo | python3 -c 'import json,sys; t=json.load(sys.stdin); print("follower height %d state %s" % (t["blocks"], t["state_root"][:16]))')
  echo "$line | $follower_state"
  if [ -n "${BLOCKS:-}" ] && [ "$produced" -ge "$BLOCKS" ]; then
    echo "devnet: produced $produced blocks; node still running (pid $node)"
    exit 0
  fi
done
echo "devnet: the node exited; see $datadir/regtest/debug.log"
