#!/usr/bin/env bash
# The crash campaign's long form (issue 11): SIGKILLs of a regtest node
# during block production (-workers=3), replay of a lost consensus
# directory and reorganisation (tests/functional/feature_crash_campaign.py),
# then while its wallet pays another wallet and while a wallet encrypts
# itself (tests/functional/feature_crash_wallet.py); after each restart
# nothing acknowledged may be lost. Figures go in doc/benchmarks.md
# ("Crash campaign").
#
# Usage: contrib/crash-campaign.sh [kills (default 100)] [seed]
#   the chain campaign gets `kills`, the wallet campaign half as many.
# Needs a build (contrib/build.sh or cmake --build build); BINDIR=<dir>
# runs other binaries (e.g. a copy, so that a rebuild cannot disturb a run).
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-100}"
common=(--bindir="${BINDIR:-build/bin}")
if [[ $# -ge 2 ]]; then common+=(--seed="$2"); fi
python3 -B tests/functional/feature_crash_campaign.py --kills="$kills" "${common[@]}"
python3 -B tests/functional/feature_crash_wallet.py --kills="$(( (kills + 1) / 2 ))" "${common[@]}"
