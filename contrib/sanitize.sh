#!/usr/bin/env bash
# Builds the parts that need no libtorch with sanitizers and runs their tests
# (doc/testing.md, "Sanitizers"). contrib/test.sh, and so CI, runs both kinds:
#   asan  build-asan/: AddressSanitizer + UndefinedBehaviorSanitizer, every
#         torch-free library, its GoogleTest suite and the fuzz targets
#         (corpus replay plus CC_FUZZ_SECONDS of mutation each)
#   tsan  build-tsan/: ThreadSanitizer, the rpc/ and net/ suites (the code
#         with threads of its own: the HTTP server, ConnMan)
# Any finding fails the run: UBSan does not recover (-fno-sanitize-recover=all)
# and ASan, LSan and TSan exit non-zero on their first report.
# Usage: contrib/sanitize.sh [asan] [tsan]   (no argument: both)
set -euo pipefail
cd "$(dirname "$0")/.."
bash contrib/install-deps.sh
# ccache keys on paths relative to the checkout, so a fresh clone reuses the cache.
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

# -O1 -g1 instead of the default -O2 -g: the sanitizer builds compile in about
# half the time (doc/benchmarks.md, "Sanitizer builds in CI"), and -g1 keeps
# the line numbers that reports need.
flags="-O1 -g1 -DNDEBUG"
common=(-G Ninja -DCC_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags")

kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(asan tsan)
for kind in "${kinds[@]}"; do
  case "$kind" in
    asan)
      cmake -S . -B build-asan "${common[@]}" -DSANITIZE=address,undefined
      cmake --build build-asan
      ctest --test-dir build-asan --output-on-failure --timeout 900 -j "$(nproc)"
      ;;
    tsan)
      cmake -S . -B build-tsan "${common[@]}" -DSANITIZE=thread
      cmake --build build-tsan --target rpc_tests net_tests
      ctest --test-dir build-tsan --output-on-failure --timeout 900 -j "$(nproc)" \
        -L '^(rpc_tests|net_tests)$'
      ;;
    *)
      echo "usage: $0 [asan] [tsan]" >&2
      exit 2
      ;;
  esac
done
