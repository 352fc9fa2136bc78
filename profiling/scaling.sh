#!/usr/bin/env bash
# Scaling study of the default config (docs/scaling.md, docs/profiling.md):
#   weak scaling   fixed per-rank batch (16): P=1 B=16, P=2 B=32
#   strong scaling fixed global batch (32):   P=1 B=32, P=2 B=32
# one BLAS thread per rank (ranks x threads <= 2 cores here), img/s and the
# efficiency vs P=1 from each run's log.jsonl (profiling/report, steady state:
# intervals after the first), the exposed sync fraction and the share of the
# gradient buffer launched before backward ended. Then P=4 and P=8, which
# oversubscribe this 2-core machine: they only show the runs complete and are
# marked so. Then bench_allreduce (P=2) and profiling/scaling_model on the weak
# runs (compute rate from P=1, the P=2 run checked against the model): predicted weak-scaling efficiency at 2..256 nodes for the three configs.
#   usage: profiling/scaling.sh [BUILD_DIR] [STEPS] [OUT_DIR]   (OUT_DIR keeps runs, logs, PNGs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
steps=${2:-6}
out=${3:-$build/scaling}
vdmc="$build/vdmc"
rm -rf "$out"
mkdir -p "$out"
"$vdmc" prepare fashion-mnist --out "$out/data" >/dev/null
mpi=(mpirun --oversubscribe)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
per_rank=16
strong_batch=32

train() {  # name ranks global_batch steps -> prints the report's SUMMARY fields
  local every=$(( $4 / 3 > 0 ? $4 / 3 : 1 ))
  "${mpi[@]}" -n "$2" -x OPENBLAS_NUM_THREADS=1 "$vdmc" train --run "$out/$1" \
    --set "data.train=$out/data/fashion-mnist-train.h5" --set "data.test=$out/data/fashion-mnist-test.h5" \
    --set optim.steps="$4" --set optim.batch_size="$3" --set run.log_every=$every \
    --set run.checkpoint_every=1000000 --set mpi.threads_per_rank=1 >"$out/$1.log" 2>&1 ||
    { echo "training $1 failed:"; tail -5 "$out/$1.log"; exit 1; }
  "$build/profiling/report" "$out/$1" >"$out/$1.report"
  grep '^SUMMARY' "$out/$1.report"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

row() {  # mode P B summary baseline_img_per_s note
  local ips=$(field img_per_s "$4")
  printf "%-7s %3d %5d %9.2f %10.2f %8.1f %8.1f %8.1f %8.1f  %s\n" "$1" "$2" "$3" "$ips" \
    "$(awk -v a="$ips" -v b="$5" -v p="$2" 'BEGIN { print a / (p * b) }')" \
    "$(awk -v x="$(field sync_exposed "$4")" 'BEGIN { print 100 * x }')" \
    "$(awk -v x="$(field launched_early "$4")" 'BEGIN { print 100 * x }')" \
    "$(awk -v x="$(field imbalance "$4")" 'BEGIN { print 100 * x }')" \
    "$(awk -v x="$(field compute_s "$4")" -v b="$3" -v p="$2" 'BEGIN { print 1e3 * x / (b / p) }')" "$6"
}

echo "== scaling.sh: default config (configs/fmnist.yaml), $steps steps, 1 thread per rank, $(nproc) cores"
w1=$(train weak_p1 1 $per_rank "$steps")
w2=$(train weak_p2 2 $((2 * per_rank)) "$steps")
s1=$(train strong_p1 1 $strong_batch "$steps")
s2=$w2  # strong P=2 at B=64 is the weak P=2 run
[ $((2 * per_rank)) -eq $strong_batch ] || s2=$(train strong_p2 2 $strong_batch "$steps")
few=2
o=()
for P in 4 8; do
  o+=("$(train weak_p$P $P $((P * per_rank)) $few)" "$(train strong_p$P $P $strong_batch $few)")
done
base_w=$(field img_per_s "$w1")
base_s=$(field img_per_s "$s1")
printf "%-7s %3s %5s %9s %10s %8s %8s %8s %8s\n" mode P B img/s efficiency sync% early% imbal% ms/img
row weak 1 $per_rank "$w1" "$base_w" "measured"
row weak 2 $((2 * per_rank)) "$w2" "$base_w" "measured"
row strong 1 $strong_batch "$s1" "$base_s" "measured"
row strong 2 $strong_batch "$s2" "$base_s" "measured"
note="oversubscribed: correctness only, not a measurement"
row weak 4 $((4 * per_rank)) "${o[0]}" "$base_w" "$note"
row strong 4 $strong_batch "${o[1]}" "$base_s" "$note"
row weak 8 $((8 * per_rank)) "${o[2]}" "$base_w" "$note"
row strong 8 $strong_batch "${o[3]}" "$base_s" "$note"
echo "efficiency = img/s(P) / (P x img/s(P=1)); sync% = exposed sync_wait / step; early% = gradient buffer in flight"
echo "before backward ended; imbal% = (max - min) / mean of forward+backward over ranks; ms/img = forward+backward"
echo "per image on one rank (grows with P when the ranks do not get a core each). Per-run tables: $out/*.report"

echo
"${mpi[@]}" -n 2 "$build/profiling/bench_allreduce" | tee "$out/allreduce.txt"
echo
"$build/profiling/scaling_model" --run "$out/weak_p2" --compute-run "$out/weak_p1" --calibration "$out/allreduce.txt" --out "$out" \
  "$here/configs/fmnist.yaml" "$here/configs/imagenet64-adm.yaml" "$here/configs/imagenet128-uvit.yaml"
