#!/usr/bin/env bash
# Installs, idempotently, every Debian 12 package Computecoin needs to build,
# test and benchmark. Run as root (or with sudo available). Nothing else is
# downloaded at build or run time.
# Usage: contrib/install-deps.sh [--fuzz]
#   --fuzz  also clang and its libFuzzer runtime, for the -DFUZZ=ON build
#           (doc/testing.md); the suite itself does not need them.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-openmp
  libleveldb-dev libsecp256k1-dev
  libboost-dev libboost-system-dev libboost-program-options-dev
  libcereal-dev libcrypto++-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl python3 procps
  python3-torch  # contrib/load-model-export.py, checked by feature_model_export
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
