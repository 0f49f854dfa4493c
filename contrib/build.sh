#!/usr/bin/env bash
# Installs dependencies (idempotent) and builds everything into build/.
# Usage: contrib/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
# ccache keys on paths relative to the checkout, so a fresh clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
cmake -S . -B build -G Ninja "$@"
cmake --build build
