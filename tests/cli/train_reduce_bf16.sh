#!/usr/bin/env bash
# The bf16 gradient sum in training (mpi.reduce_precision: bf16, docs/mpi.md) on the
# tiny config at P = 2:
#  1. the run says so, and differs from the fp32 wire's run, by little (the sum's
#     error is within (d+1) 2^-8 of the summed magnitudes, unit/cli.mpi_bf16_reduce);
#  2. bit-identical across resume: a SIGUSR1 stop at step 5, resumed to 12, equals the
#     straight 12-step run (the reduction order is fixed);
#  3. mpi.progress thread and ZeRO-1 (reduce-scatter of bf16) give the same bits: at
#     P = 2 every element is one bf16 addition whichever collective does it;
#  4. at P = 1 it says it has no effect, and trains the fp32 run's bits.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
train() {  # run_dir ranks extra-args...
  local dir=$1 np=$2
  shift 2
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps=12 \
    --set run.checkpoint_every=6 --set run.sample_every=0 --set mpi.bucket_mb=0.01 "$@" >>"$work/$dir.log" 2>&1
}
same() {  # name file-a file-b
  if "$vdmc" compare "$2" "$3" --tol 0 >"$work/$1.cmp" 2>&1; then ok; else bad "$1 differs:"; cat "$work/$1.cmp"; fi
}
# worst "max rel diff" of params in `vdmc compare`
param_diff() { "$vdmc" compare "$1" "$2" --tol 1 | sed -n 's/^arrays\/params .*max rel diff \([^ ]*\).*/\1/p'; }
bf=(--set mpi.reduce_precision=bf16)
final=checkpoints/step-00000012.h5

# 1. it runs, says so, and changes the sums a little
train f32 2 && train straight 2 "${bf[@]}" || bad "12-step P=2 runs"
grep -q "gradient sum over ranks in bf16" "$work/straight.log" && ok || bad "the bf16 run does not say so"
grep -q "gradient sum over ranks in bf16" "$work/f32.log" && bad "the fp32 run says bf16" || ok
d=$(param_diff "$work/straight/$final" "$work/f32/$final")
echo "params after 12 steps, bf16 against fp32 gradient sum: max rel diff $d"
awk -v d="$d" 'BEGIN { exit !(d != "" && d > 0 && d <= 2e-3) }' && ok || bad "bf16 sum against fp32: $d (want (0, 2e-3])"

# 2. exact resume
VDMC_TRAIN_TEST_SIGNAL_AT=5 train sig 2 "${bf[@]}" && train sig 2 "${bf[@]}" || bad "SIGUSR1 + resume"
grep -q "resumed from .*step-00000006.h5 at step 6" "$work/sig.log" && ok || bad "no resume at step 6"
same resume "$work/sig/$final" "$work/straight/$final"

# 3. the progress thread and ZeRO-1 carry the same bf16 sums
train thread 2 "${bf[@]}" --set mpi.progress=thread && same thread "$work/thread/$final" "$work/straight/$final" \
  || bad "mpi.progress thread"
train zero1 2 "${bf[@]}" --set mpi.zero_stage=1 && same zero1 "$work/zero1/$final" "$work/straight/$final" \
  || bad "mpi.zero_stage 1"

# 4. one rank
train p1 1 "${bf[@]}" && train p1f32 1 || bad "P=1 runs"
grep -q "mpi.reduce_precision bf16 has no effect on 1 rank" "$work/p1.log" && ok || bad "P=1 does not say it has no effect"
# the same arrays bit for bit; compare names the config key as the one difference (the
# key says what a run computes, so it counts even where one rank makes it a no-op)
"$vdmc" compare "$work/p1/$final" "$work/p1f32/$final" --tol 0 >"$work/p1.cmp" 2>&1
if [ "$(grep -c DIFFERS "$work/p1.cmp")" = 1 ] && grep -q 'mpi.reduce_precision: "bf16" vs mpi.reduce_precision: "fp32"  DIFFERS' "$work/p1.cmp" \
  && grep -q 'worst max rel diff 0.000e+00' "$work/p1.cmp"; then ok; else bad "p1 against p1f32:"; cat "$work/p1.cmp"; fi

finish train_reduce_bf16
