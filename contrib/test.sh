#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test through CTest,
# then the torch-free parts again under ASan+UBSan and rpc/ and net/ under
# TSan (contrib/sanitize.sh). CC_SKIP_SANITIZERS=1 skips the second half.
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/build.sh
(cd build && ctest --output-on-failure --timeout 900 -j "$(nproc)")
if [ "${CC_SKIP_SANITIZERS:-0}" != 1 ]; then
  bash contrib/sanitize.sh
fi
