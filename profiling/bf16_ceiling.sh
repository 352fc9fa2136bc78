#!/usr/bin/env bash
# How far the bf16 step's speed-up over fp32 can go on this host, and where it stands:
# `perf record` of `bench_step CFG BATCH STEPS bf16` on 1 thread (fp32 steps, then the
# same steps in bf16, in one process), then profiling/step_gemm_share.py splits each
# step's samples into GEMM work (tiles and packing) and the rest. The baseline is the
# fp32 step of the same run. Amdahl: with the GEMMs r times faster and the rest as in
# fp32, the step is at most 1 / (X + G / r) times faster, G and X the fp32 step's shares;
# printed for r = the bf16 GEMM peak over sgemm's measured by bench_step in this run, and
# r = 2 (AVX512-BF16's vdpbf16ps does twice the multiply-adds of an FMA). Needs perf (on
# the project's hosts from the machine image) and the AVX512-BF16 kernel.
# usage: profiling/bf16_ceiling.sh [build_dir=build] [configs="i64 uvit"; also fmnist]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
configs="${2:-i64 uvit}"
bench="$build/profiling/bench_step"
[ -x "$bench" ] || { echo "bf16_ceiling.sh: $bench not built (cmake --build $build)" >&2; exit 1; }
command -v perf > /dev/null || { echo "bf16_ceiling.sh: perf not found" >&2; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for cfg in $configs; do
  case "$cfg" in
    fmnist) batch=32; steps=6 ;;
    i64|uvit) batch=8; steps=4 ;;
    *) echo "bf16_ceiling.sh: unknown config $cfg" >&2; exit 1 ;;
  esac
  if ! OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 perf record -q --call-graph dwarf,8192 -F 250 \
      -o "$work/perf.data" "$bench" "$cfg" "$batch" "$steps" bf16 > "$work/bench.txt" 2> "$work/perf.err"; then
    echo "bf16_ceiling.sh: perf record of bench_step $cfg failed:" >&2
    cat "$work/perf.err" >&2
    exit 1
  fi
  peak="$(sed -n 's/.*bf16 GEMM peak [0-9.]* GFLOP\/s (\([0-9.]*\) x sgemm.*/\1/p' "$work/bench.txt")"
  [ -n "$peak" ] || { echo "bf16_ceiling.sh: bench_step $cfg printed no bf16 GEMM peak (no AVX512-BF16 kernel?)" >&2; exit 1; }
  echo "== $cfg batch $batch, 1 thread, $steps steps each: $(grep '^  bf16 (' "$work/bench.txt" | sed 's/^  //')"
  out="$(perf script -i "$work/perf.data" 2> /dev/null | "$py" "$here/step_gemm_share.py" "$peak")"
  echo "$out" | grep -v '^RESULT'
  echo "$out" | grep '^RESULT' | awk -v cfg="$cfg" '{
    for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "== %s: bf16 step %.2fx fp32 (perf samples); ceiling %.2fx at the measured bf16 GEMM peak (%.2fx sgemm), %.2fx at 2x; fp32 step %.1f%% GEMM work\n", cfg, v["step"], v["ceiling_peak"], v["peak_ratio"], v["ceiling_2x"], 100 * v["gemm_share"] }'
done
