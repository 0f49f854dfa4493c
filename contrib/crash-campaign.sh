#!/usr/bin/env bash
# The crash campaign's long form (issue 11): 100 SIGKILLs of a regtest node
# during block production (-workers=3), replay of a lost consensus
# directory and reorganisation, checking after each restart that nothing
# acknowledged was lost (tests/functional/feature_crash_campaign.py).
# Figures go in doc/benchmarks.md ("Crash campaign").
#
# Usage: contrib/crash-campaign.sh [kills (default 100)] [seed]
# Needs a build (contrib/build.sh or cmake --build build); BINDIR=<dir>
# runs other binaries (e.g. a copy, so that a rebuild cannot disturb a run).
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-100}"
args=(--kills="$kills" --bindir="${BINDIR:-build/bin}")
if [[ $# -ge 2 ]]; then args+=(--seed="$2"); fi
exec python3 -B tests/functional/feature_crash_campaign.py "${args[@]}"
