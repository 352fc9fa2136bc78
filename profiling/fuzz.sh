#!/usr/bin/env bash
# profiling/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]: runs the libFuzzer targets of
# tests/fuzz (all, or the named ones: config, dataset, ...) one after another for
# SECONDS each (default 600, wall time) and prints per target the CPU seconds it got,
# the executions, exec/s, coverage and findings. One fuzzer process at a time: -fork=1 runs one job after another and
# keeps going past crashes, out-of-memory and timeout inputs (HDF5 itself runs into
# the last two on hostile files), saving each as a finding.
# Build in ${VDMC_BUILD_DIR:-build}-fuzz; each target's new corpus entries, findings
# (crash-*, leak-*, oom-*, timeout-*) and log in work/NAME there. Reproduce a finding:
# that-dir/tests/fuzz/fuzz_NAME FILE; minimize it: ... -minimize_crash=1 -runs=10000 FILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/fuzz/fuzz_lib.sh
source "$here/tests/fuzz/fuzz_lib.sh"
seconds=${1:-600}
[ $# -gt 0 ] && shift
cc=$(fuzz_compiler) || { echo "profiling/fuzz.sh: needs clang-14 and libclang-rt-14-dev (jobs/deps.sh)" >&2; exit 1; }
build=${VDMC_BUILD_DIR:-$here/build}-fuzz
fuzz_build "$build" "$cc"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(fuzz_targets)
for name in "${targets[@]}"; do
  work="$build/work/$name"
  mkdir -p "$work"
  start=$(date +%s)
  # CPU seconds of the fuzzer and its -fork children: on a shared host (or under nice)
  # a run gets less CPU than its wall time, and the CPU time is what was fuzzed.
  cpu=$( { TIMEFORMAT='%U %S'; time fuzz_run "$build" "$name" "$work" -fork=1 -ignore_crashes=1 -ignore_ooms=1 \
    -ignore_timeouts=1 -timeout=30 -max_total_time="$seconds" >"$work.log" 2>&1 || true; } 2>&1 | awk '{printf "%.0f", $1 + $2}')
  echo "fuzz $name: $(($(date +%s) - start)) s wall, $cpu s CPU, $(fuzz_summary "$work.log" "$work") (log $work.log)"
done
