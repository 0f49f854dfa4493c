#!/usr/bin/env bash
# The GPU check (issue 12; ../shared/GPU.md): builds compute/ and its tests
# against a CUDA-enabled libtorch, runs the fidelity and verification tests
# with the engine under test on the GPU (CC_TEST_DEVICE=cuda; verifiers stay
# on the CPU, so a CPU node judges a GPU worker), the device tests, the
# whole compute suites on the CPU, and the step benchmark on the GPU and on
# the CPU, then writes a short report (gpu-check/report.md).
#
#   contrib/gpu-check.sh deps   on a Debian 12 machine: fetches the packages
#                               compute/ and its tests link besides libtorch
#                               (apt-get download) and unpacks them into
#                               gpu-deps/ (git-ignored; send it along)
#   contrib/gpu-check.sh [run]  on the GPU machine, in the checkout with gpu-deps/
#
# The GPU machine brings libtorch with PyTorch (python3 -c 'import torch');
# everything else comes from gpu-deps/. The build is -DCC_COMPUTE_ONLY=ON
# (no Boost, no JSON) in build-gpu/.
#
# Environment:
#   TORCH_PREFIX  libtorch's CMake prefix (default: torch.utils.cmake_prefix_path)
#   DEVICE        the device under test (default cuda)
#   JOBS          build jobs (default: nproc)
#   REPS          benchmark repetitions (default 3)
# Exit status: 0 when every step passed; 1 otherwise (the report says which).
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
deps="$root/gpu-deps"
mode="${1:-run}"

# What cc_chain, cc_compute, cc_validation, the tests and the benchmarks link,
# with their runtime libraries, and pkgconf for the .pc files.
packages=(libleveldb-dev libleveldb1d libsnappy1v5 libsecp256k1-dev libsecp256k1-1
          libcrypto++-dev libcrypto++8 libgtest-dev libgmock-dev libbenchmark-dev
          libbenchmark1debian pkgconf-bin libpkgconf3)

if [ "$mode" = deps ]; then
  set -e
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download "${packages[@]}")
  rm -rf "$deps"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$deps"; done
  # Shared libraries suffice, except GoogleTest's, which Debian ships static.
  find "$deps" -name '*.a' ! -name 'libg[mt]*.a' -delete
  rm -rf "$deps/usr/share/doc" "$deps/usr/share/man" "$deps/usr/src"
  du -sh "$deps"
  exit 0
fi
[ "$mode" = run ] || { echo "usage: $0 [deps|run]" >&2; exit 2; }

device="${DEVICE:-cuda}"
jobs="${JOBS:-$(nproc)}"
reps="${REPS:-3}"
out="$root/gpu-check"
build="$root/build-gpu"
mkdir -p "$out"
report="$out/report.md"
failed=0

# step NAME COMMAND...: runs COMMAND, logs to gpu-check/NAME.log, notes the outcome.
step() {
  local name="$1"
  shift
  local start=$SECONDS
  if "$@" >"$out/$name.log" 2>&1; then
    echo "- $name: ok ($((SECONDS - start)) s)" >>"$report"
  else
    echo "- $name: **FAILED** (exit $?, $((SECONDS - start)) s; gpu-check/$name.log)" >>"$report"
    failed=1
  fi
}

torch_prefix="${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null)}"
lib="$deps/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The .pc files say prefix=/usr; the sysroot moves their paths into gpu-deps.
export PKG_CONFIG_SYSROOT_DIR="$deps"
export PKG_CONFIG_LIBDIR="$lib/pkgconfig:$deps/usr/share/pkgconfig"
cuda_args=()
if command -v nvcc >/dev/null; then
  cuda_args=(-DCMAKE_CUDA_COMPILER="$(command -v nvcc)"
             -DCUDAToolkit_ROOT="$(dirname "$(dirname "$(command -v nvcc)")")")
fi
pkgconf_args=()
[ -x "$deps/usr/bin/pkgconf" ] && pkgconf_args=(-DPKG_CONFIG_EXECUTABLE="$deps/usr/bin/pkgconf")

{
  echo "# GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "- GPU: $(nvidia-smi -L 2>/dev/null | head -1 || echo 'nvidia-smi not found')"
  echo "- libtorch: $torch_prefix ($(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)' 2>/dev/null || echo '?'))"
  echo "- device under test: $device; $jobs build jobs"
  echo
} >"$report"

step configure cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCC_COMPUTE_ONLY=ON "-DCMAKE_PREFIX_PATH=$deps/usr;$torch_prefix" \
  "${pkgconf_args[@]}" "${cuda_args[@]}"
step build cmake --build "$build" -j "$jobs" --target compute_tests compute_torch_tests bench_compute
bin="$build/bin"
devices=("$device")
[ "$device" = cpu ] || devices+=(cpu)
if [ -x "$bin/compute_torch_tests" ]; then
  # The GPU worker's units judged on the CPU, fidelity on the GPU, device names.
  step device-tests env CC_TEST_DEVICE="$device" "$bin/compute_torch_tests" \
    --gtest_filter='Device*:CudaDevice*:EngineTest.*:OneStepFidelity*:ManyStepFidelity*'
  # This libtorch on the CPU: the suites every CPU build runs.
  step cpu-tests "$bin/compute_torch_tests"
  step cpu-core-tests "$bin/compute_tests"
  for dev in "${devices[@]}"; do
    step "bench-$dev" env OMP_WAIT_POLICY=passive "$bin/bench_compute" "--device=$dev" \
      --benchmark_filter='SplitStep/[01]/1/1|VerifyOverExecute' \
      --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
  done
fi

{
  echo
  echo "## GPU-vs-CPU distance per unit kind (tiny, one step)"
  echo
  grep -h '^gpu-vs-cpu' "$out/device-tests.log" 2>/dev/null | sed 's/^/    /' ||
    echo "    (none: the CUDA test did not run)"
  grep -h -m1 'SKIPPED \]' "$out/device-tests.log" 2>/dev/null | sed 's/^/    /'
  echo
  echo "## Step benchmark medians (split vs monolithic on the same device, same run)"
  echo
  for dev in "${devices[@]}"; do
    echo "$dev:"
    # Medians when repeated, else the single rows.
    grep -hE '^BM_' "$out/bench-$dev.log" 2>/dev/null | grep -vE '_(mean|stddev|cv) ' |
      sed 's/^/    /'
  done
} >>"$report"
cat "$report"
exit "$failed"
