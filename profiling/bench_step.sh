#!/usr/bin/env bash
# U-Net / U-ViT training step: vdmc (profiling/bench_step.c) against PyTorch
# (profiling/bench_step_torch.py, same model from tests/reference/{unet,uvit}_ref.py) at the
# same batch and thread count, in one run. Prints img/s of both and their ratio.
# On a shared host set REPS=3: the two programs then alternate REPS times and the best
# img/s of each is compared (contention only ever slows a run down).
# With PRECISION=bf16 vdmc runs train.precision: bf16 (after its fp32 steps, same run)
# and PyTorch runs torch.autocast("cpu", dtype=torch.bfloat16); the last line per case
# compares vdmc bf16 with PyTorch autocast and with vdmc fp32.
# usage: [REPS=1] [PRECISION=fp32|bf16] profiling/bench_step.sh [build_dir=build]
#        [configs="fmnist i64"; also uvit] [threads="1 2"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
configs="${2:-fmnist i64}"
threads="${3:-1 2}"
reps="${REPS:-1}"
precision="${PRECISION:-fp32}"
case "$precision" in fp32) mode="" ;; bf16) mode=bf16 ;; *) echo "bench_step.sh: PRECISION must be fp32 or bf16" >&2; exit 1 ;; esac
bench="$build/profiling/bench_step"
[ -x "$bench" ] || { echo "bench_step.sh: $bench not built (cmake --build $build)" >&2; exit 1; }
py=/usr/bin/python3
[ -x "$py" ] || py=python3

result() { sed -n 's/^RESULT img_per_s=\([0-9.]*\).*/\1/p'; }
result16() { sed -n 's/^RESULT_BF16 img_per_s=\([0-9.]*\).*/\1/p'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }

for cfg in $configs; do
  case "$cfg" in
    fmnist) batch=32; steps=3 ;;
    i64) batch=8; steps=2 ;;
    uvit) batch=8; steps=2 ;;
    *) echo "bench_step.sh: unknown config $cfg" >&2; exit 1 ;;
  esac
  for t in $threads; do
    c_ips=""; t_ips=""; c16_ips=""
    for r in $(seq "$reps"); do
      c_out="$(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$bench" "$cfg" "$batch" "$steps" $mode)"
      echo "$c_out" | grep -v '^RESULT'
      t_out="$(OMP_NUM_THREADS=$t "$py" "$here/bench_step_torch.py" "$cfg" "$batch" "$steps" "$t" "$precision")"
      echo "$t_out" | grep -v '^RESULT'
      c_ips="$(best "$c_ips" "$(echo "$c_out" | result)")"
      [ -z "$mode" ] || c16_ips="$(best "$c16_ips" "$(echo "$c_out" | result16)")"
      r_ips="$(echo "$t_out" | result)"
      [ -n "$r_ips" ] && t_ips="$(best "$t_ips" "$r_ips")"
    done
    if [ -n "$mode" ]; then
      awk -v c="$c16_ips" -v f="$c_ips" -v p="${t_ips:-0}" -v cfg="$cfg" -v t="$t" -v b="$batch" \
        -v n="$reps" 'BEGIN { torch = (p > 0) ? sprintf("%.2f img/s, ratio %.2fx", p, c / p) : "skipped"
          printf "== %s bf16 batch %d, %d thread(s), best of %d: vdmc bf16 %.2f img/s = %.2fx vdmc fp32 (%.2f); PyTorch autocast %s\n", cfg, b, t, n, c, c / f, f, torch }'
    elif [ -n "$t_ips" ]; then
      awk -v c="$c_ips" -v p="$t_ips" -v cfg="$cfg" -v t="$t" -v b="$batch" \
        -v n="$reps" 'BEGIN { printf "== %s batch %d, %d thread(s), best of %d: vdmc %.2f img/s, PyTorch %.2f img/s, ratio %.2fx\n", cfg, b, t, n, c, p, c / p }'
    else
      echo "== $cfg batch $batch, $t thread(s): vdmc $c_ips img/s (PyTorch skipped)"
    fi
  done
done
