#!/usr/bin/env bash
# U-Net training step: vdmc (profiling/bench_step.c) against PyTorch
# (profiling/bench_step_torch.py, same model from tests/reference/unet_ref.py) at the
# same batch and thread count, in one run. Prints img/s of both and their ratio.
# usage: profiling/bench_step.sh [build_dir=build] [configs="fmnist i64"] [threads="1 2"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
configs="${2:-fmnist i64}"
threads="${3:-1 2}"
bench="$build/profiling/bench_step"
[ -x "$bench" ] || { echo "bench_step.sh: $bench not built (cmake --build $build)" >&2; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

result() { sed -n 's/^RESULT img_per_s=\([0-9.]*\).*/\1/p'; }

for cfg in $configs; do
  case "$cfg" in
    fmnist) batch=32; steps=3 ;;
    i64) batch=8; steps=2 ;;
    *) echo "bench_step.sh: unknown config $cfg" >&2; exit 1 ;;
  esac
  for t in $threads; do
    c_out="$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$bench" "$cfg" "$batch" "$steps")"
    echo "$c_out" | grep -v '^RESULT'
    t_out="$(OMP_NUM_THREADS=$t "$py" "$here/bench_step_torch.py" "$cfg" "$batch" "$steps" "$t")"
    echo "$t_out" | grep -v '^RESULT'
    c_ips="$(echo "$c_out" | result)"
    t_ips="$(echo "$t_out" | result)"
    if [ -n "$t_ips" ]; then
      awk -v c="$c_ips" -v p="$t_ips" -v cfg="$cfg" -v t="$t" -v b="$batch" \
        'BEGIN { printf "== %s batch %d, %d thread(s): vdmc %.2f img/s, PyTorch %.2f img/s, ratio %.2fx\n", cfg, b, t, c, p, c / p }'
    else
      echo "== $cfg batch $batch, $t thread(s): vdmc $c_ips img/s (PyTorch skipped)"
    fi
  done
done
