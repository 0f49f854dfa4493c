#!/usr/bin/env bash
# Builds Computecoin and runs a small devnet on loopback: three worker nodes,
# each with its own key, datadir and ports, and one node that only verifies.
# The workers register (the first in a block of its own, the others by
# asking for free registrations), compute the units the schedule gives them,
# relay their records and tensors through the work pool, and produce blocks
# in their slots. The verifier re-executes every record it receives; the
# workers re-execute a quarter of the others' records (-verify=sample=0.25:
# on a small machine four nodes re-executing everything would quadruple
# the compute; doc/consensus.md §7 says what sampling trades). The verifier
# prints one progress line every few seconds (step, loss, held-out accuracy,
# height, records, coins per worker, steps/s), evaluates the model every
# EVAL_EVERY steps on 500 held-out 3-digit additions, and when the accuracy
# reaches TARGET a worker asks the model "123+456=" through the network
# (infer, routed through the verifier, which also serves every section) and
# the loss and accuracy curves are drawn (SVG) next to the log.
#
# Payment: worker1 keeps its rewards in wallet "worker1" and pays the
# verifier, which serves at a price into wallet "verifier", over a payment
# channel (doc/inference.md, Payment). Rewards mature after 100 blocks, so
# a short run (STEPS=) may have nothing to pay with yet: infer then says
# "Insufficient funds". The first infer opens the channel and the next,
# after a block, is paid; the cost and worker1's balance before and after
# are printed.
#
# Usage: contrib/devnet.sh
#   DATADIR=dir     where the nodes live (default ~/.computecoin-devnet; a
#                   second run resumes the same chain)
#   TARGET=0.9      held-out exact-match accuracy to stop at
#   STEPS=n         stop after n more steps instead (a quick look)
#   EVAL_EVERY=250  steps between evaluations
# Ctrl-C (or SIGTERM) stops every node cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/build.sh
bin="$PWD/build/bin"
root="${DATADIR:-$HOME/.computecoin-devnet}"
target="${TARGET:-0.9}"
eval_every="${EVAL_EVERY:-250}"
mkdir -p "$root"
log="$root/devnet.log"
curves="$root/devnet-curves.csv"
picture="$root/devnet-curves.svg"
# libgomp spin-waits by default, which starves a shared machine.
export OMP_WAIT_POLICY=passive

names=(worker1 worker2 worker3 verifier)
pids=()
node_args() {  # the options of node $1 (0..3) shared by computecoind and the cli
  echo "-devnet -datadir=$root/${names[$1]} -rpcport=$((29601 + 2 * $1))"
}
cli() { local i=$1; shift; "$bin/computecoin-cli" $(node_args "$i") "$@"; }
say() { echo "devnet: $*" | tee -a "$log"; }

stop_all() {
  trap - INT TERM EXIT
  echo
  say "stopping the nodes"
  for i in 3 2 1 0; do cli "$i" stop >/dev/null 2>&1 || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "${1:-0}"
}
trap 'stop_all 0' INT TERM
trap 'stop_all 1' EXIT  # an unexpected failure stops the nodes too

wallet_dir() { echo "$root/${names[$1]}/devnet/wallets/$2"; }

start_node() {  # index, extra options...
  local i=$1; shift
  mkdir -p "$root/${names[$i]}"
  "$bin/computecoind" $(node_args "$i") -port=$((29600 + 2 * i)) -listen=1 -bind=127.0.0.1 \
    "$@" >/dev/null 2>"$root/${names[$i]}/stderr.log" &
  pids+=($!)
  if ! cli "$i" -rpcwait -rpcwaittimeout=120 getblockcount >/dev/null 2>&1; then
    # Say why: a chain left by an older version (its consensus rules changed)
    # is refused with what to do, which the node writes to stderr.
    say "${names[$i]} did not start: $(tail -n 3 "$root/${names[$i]}/stderr.log")"
    say "(its log: $root/${names[$i]}/devnet/debug.log)"
    stop_all 1
  fi
}

say "starting 3 worker nodes and 1 verifying node in $root (log: $log)"
# worker1's wallet watches its worker key (the first wallet loaded or
# created is the worker wallet), so its rewards can pay for inference.
if [ -d "$(wallet_dir 0 worker1)" ]; then
  start_node 0 -worker -verify=sample=0.25 -wallet=worker1
else
  start_node 0 -worker -verify=sample=0.25
  cli 0 createwallet worker1 >/dev/null
fi
for i in 1 2; do start_node "$i" -worker -verify=sample=0.25 -addnode=127.0.0.1:29600; done
# The verifier also serves the model it verifies: every section, at an
# advertised price per token, paid into its wallet (created on a first run:
# a node serving at a price starts only with a wallet to be paid to).
if [ ! -d "$(wallet_dir 3 verifier)" ]; then
  start_node 3 -addnode=127.0.0.1:29600 -addnode=127.0.0.1:29604
  cli 3 createwallet verifier >/dev/null
  cli 3 stop >/dev/null
  wait "${pids[-1]}" 2>/dev/null || true
  unset 'pids[-1]'
fi
start_node 3 -addnode=127.0.0.1:29600 -addnode=127.0.0.1:29604 -serve -serveprice=0.000001 \
  -wallet=verifier

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
start_step=$(cli 3 gettraininginfo | json 'd["step"]')
say "training from step $start_step until held-out accuracy reaches $target" \
  "${STEPS:+(or $STEPS steps)}; Ctrl-C stops"
[ -s "$curves" ] || echo "step,loss,accuracy,seconds" >"$curves"
t0=$(date +%s)
last_eval=-1
accuracy="-"
prev_step=$start_step
prev_t=$t0
peak_disk_mb=0
disk_at=0
disk_mb=0
while :; do
  sleep 5
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a node exited; see its debug.log under $root"; stop_all 1; }
  done
  info=$(cli 3 gettraininginfo) || continue
  step=$(echo "$info" | json 'd["step"]')
  now=$(date +%s)
  rate=$(python3 -c "print('%.2f' % (($step - $prev_step) / max(1, $now - $prev_t)))")
  prev_step=$step
  prev_t=$now
  if [ $((step / eval_every)) -gt "$last_eval" ] && [ "$step" -gt 0 ]; then
    last_eval=$((step / eval_every))
    accuracy=$(cli 3 evaluatemodel 500 | json '"%.1f%%" % (100 * d["accuracy"])')
    acc_value=$(echo "$accuracy" | tr -d '%')
    echo "$step,$(echo "$info" | json 'd["loss"]'),$acc_value,$((now - t0))" >>"$curves"
  else
    echo "$step,$(echo "$info" | json 'd["loss"]'),,$((now - t0))" >>"$curves"
  fi
  line=$(echo "$info" | json '"step %d  loss %.4f  height %d  records %d  coins/worker %s" % (d["step"], d["loss"], d["height"], d["accepted_work"], "/".join(str(w["paid"]) for w in d["workers"]))')
  # du walks every tensor file (~0.3 s of CPU): every 30 s is enough to see
  # the peak. It complains (and fails) when a file it counts is pruned meanwhile.
  if [ $((now - disk_at)) -ge 30 ]; then
    disk_at=$now
    disk_mb=$( (du -sm "$root" 2>/dev/null || true) | cut -f1)
    [ "${disk_mb:-0}" -gt "$peak_disk_mb" ] && peak_disk_mb=$disk_mb
  fi
  say "$line  accuracy $accuracy  $rate steps/s  disk ${disk_mb} MB  ($((now - t0)) s)"
  done_target=$(python3 -c "print(1 if '$accuracy' != '-' and float('$accuracy'.rstrip('%')) >= 100 * $target else 0)")
  if [ "$done_target" = 1 ]; then break; fi
  if [ -n "${STEPS:-}" ] && [ "$step" -ge $((start_step + STEPS)) ]; then break; fi
done

# Asked through the network: worker1 routes the prompt through the holder
# among its peers (the verifier), as any client would, and pays it. The
# first call opens a payment channel and says so; the call after the next
# block is paid over it. Blocks keep coming, so worker1's tip and the root
# the holder announces may differ for a moment: a few tries.
balance() {  # spendable, and held in channels, by worker1's wallet
  cli 0 getbalances | json '"%.8f spendable + %.8f in channels" % (d["mine"]["trusted"], d["mine"]["in_channels"])'
}
say "worker1's balance before: $(balance)"
for _ in $(seq 1 30); do
  if reply=$(cli 0 infer "123+456=" 8 0.01 2>&1); then break; fi
  case "$reply" in
    *"channel opening"*) say "worker1 opens a payment channel to the verifier; waiting for a block" ;;
    *"Insufficient funds"*) break ;;  # rewards not mature yet (100 blocks)
  esac
  sleep 3
done
if echo "$reply" | grep -q '"completion"'; then
  answer=$(echo "$reply" | json 'd["completion"]')
  cost=$(echo "$reply" | json '"%.8f" % d["cost"]')
  say "the model at height $(cli 3 getblockcount) answers 123+456=$answer" \
    "(infer through the verifier's -serve; worker1 paid it $cost coins over a payment channel)"
  say "worker1's balance after: $(balance) (its rewards keep maturing meanwhile);" \
    "paid over its channels in all: $(cli 0 getinferenceinfo | json '"%.8f" % d["spent"]') coins;" \
    "the verifier has earned $(cli 3 getinferenceinfo | json '"%.8f" % d["earned"]') coins" \
    "(it settles on chain -servesettleafter blocks later)"
elif echo "$reply" | grep -q "Insufficient funds"; then
  # A short run: nothing matured to pay with. The model is still there to ask.
  say "worker1 has no matured rewards to pay a holder yet (they mature after 100 blocks; height" \
    "$(cli 0 getblockcount)); asked locally instead (completetext, free), the model answers" \
    "123+456=$(cli 3 completetext "123+456=" 4 | json 'd["completion"]')"
else
  say "infer failed: $reply"
fi
python3 - "$curves" "$picture" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
loss = [(int(r["step"]), float(r["loss"])) for r in rows if r["loss"]]
acc = [(int(r["step"]), float(r["accuracy"])) for r in rows if r["accuracy"]]
W, H, P = 720, 360, 50
smax = max([s for s, _ in loss + acc] + [1])
lmax = max([l for _, l in loss] + [1e-9])
def x(s): return P + (W - 2 * P) * s / smax
def y(v, vmax): return H - P - (H - 2 * P) * v / vmax
out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{P}" y1="{H-P}" x2="{W-P}" y2="{H-P}" stroke="black"/>',
       f'<line x1="{P}" y1="{P}" x2="{P}" y2="{H-P}" stroke="black"/>',
       f'<text x="{W/2}" y="{H-15}" text-anchor="middle">training step (0 to {smax})</text>',
       f'<text x="{P}" y="30" fill="steelblue">loss (0 to {lmax:.2f})</text>',
       f'<text x="{W-P}" y="30" fill="darkorange" text-anchor="end">held-out accuracy (0 to 100%)</text>']
if loss:
    out.append('<polyline fill="none" stroke="steelblue" points="' +
               " ".join(f"{x(s):.1f},{y(l, lmax):.1f}" for s, l in loss) + '"/>')
if acc:
    out.append('<polyline fill="none" stroke="darkorange" points="' +
               " ".join(f"{x(s):.1f},{y(a, 100):.1f}" for s, a in acc) + '"/>')
    out += [f'<circle cx="{x(s):.1f}" cy="{y(a, 100):.1f}" r="3" fill="darkorange"/>' for s, a in acc]
out.append("</svg>")
open(sys.argv[2], "w").write("\n".join(out))
EOF
say "loss and accuracy curves: $picture (data: $curves)"
say "the four datadirs held at most $peak_disk_mb MB on disk (du of $root, every 30 s)"
stop_all 0
