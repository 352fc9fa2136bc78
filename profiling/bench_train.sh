#!/usr/bin/env bash
# Training throughput of the fmnist U-Net of bench_step (ranks x threads = 2 on this machine):
#   P=1 with 2 BLAS threads, and P=2 with 1 thread each, same global batch;
# from each run's log.jsonl: img/s, the exposed gradient-sync time per step and the
# fraction of the gradient buffer already in flight when backward ended; and the
# same model in PyTorch DistributedDataParallel (gloo) when /usr/bin/python3 has torch.
# Prints vdmc/PyTorch ratios. Not a test: figures vary with machine load.
#   usage: profiling/bench_train.sh [BUILD_DIR] [STEPS] [GLOBAL_BATCH]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
steps=${2:-20}
batch=${3:-32}
vdmc="$build/vdmc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$vdmc" prepare fashion-mnist --out "$work/data" >/dev/null
mpi=(mpirun --oversubscribe --bind-to none)  # a rank with 2 BLAS threads must not be pinned to one core
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
# the model of bench_step's "fmnist" and of tests/reference/unet_ref.py's fmnist_default
# (base 32, 2 res blocks, dropout 0.1), so vdmc and PyTorch train the same network
model=(--set model.base_channels=32 --set model.num_res_blocks=2 --set model.head_channels=32
       --set model.norm_groups=32 --set model.dropout=0.1)
common=("${model[@]}" --set "data.train=$work/data/fashion-mnist-train.h5" --set optim.steps=$steps
        --set optim.batch_size=$batch --set run.log_every=$steps --set run.checkpoint_every=1000000 --set run.sample_every=0)

vdmc_run() {  # name ranks threads
  "${mpi[@]}" -n "$2" -x OPENBLAS_NUM_THREADS="$3" "$vdmc" train --run "$work/$1" "${common[@]}" \
    --set mpi.threads_per_rank="$3" >"$work/$1.log" 2>&1
  # one record covers steps 1..N (start-up included); profiling/report reads it (docs/profiling.md)
  local sum
  sum=$("$build/profiling/report" "$work/$1" --out "$work" | grep '^SUMMARY')
  awk -v name="$1" -v s="$sum" 'BEGIN {
    n = split(s, kv, " "); for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
    printf "vdmc %s: %.2f img/s, sync_wait %.1f ms of %.0f ms/step, buffer in flight before backward ended %.0f%%\n",
      name, v["img_per_s"], 1e3 * v["sync_wait_s"], 1e3 * v["step_s"], 100 * v["launched_early"]
    printf "RESULT %s %.4f\n", name, v["img_per_s"] }'
}
echo "== bench_train: default config, global batch $batch, $steps steps"
vdmc_run p1t2 1 2 | tee "$work/p1.out"
vdmc_run p2t1 2 1 | tee "$work/p2.out"
v1=$(awk '/^RESULT/ { print $3 }' "$work/p1.out")
v2=$(awk '/^RESULT/ { print $3 }' "$work/p2.out")
# the PyTorch runs' output is captured, then printed: `tee /dev/stderr` reopened a
# redirected log file and wrote over it
torch1=$(/usr/bin/python3 "$here/profiling/bench_train_torch.py" 1 "$batch" 5 2 2>&1 || true)
torch2=$(/usr/bin/python3 "$here/profiling/bench_train_torch.py" 2 "$batch" 5 1 2>&1 || true)
echo "$torch1"
echo "$torch2"
t1=$(echo "$torch1" | awk -F= '/^RESULT/ { print $2 }')
t2=$(echo "$torch2" | awk -F= '/^RESULT/ { print $2 }')
echo "P=2x1 / P=1x2 (vdmc): $(awk -v a="$v2" -v b="$v1" 'BEGIN { printf "%.2f", a / b }')"
[ -n "$t1" ] && echo "vdmc/PyTorch P=1x2: $(awk -v a="$v1" -v b="$t1" 'BEGIN { printf "%.2f", a / b }')"
[ -n "$t2" ] && echo "vdmc/PyTorch P=2x1 (DDP gloo): $(awk -v a="$v2" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')"
exit 0
