#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/build.sh
cd build
ctest --output-on-failure --timeout 900 -j "$(nproc)"
