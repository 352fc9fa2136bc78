#!/usr/bin/env bash
# Non-finite steps: a NaN loss on ONE rank (a test hook) makes all ranks skip the
# update together; the run continues and counts it. max_skipped_steps consecutive
# skips end the run with a clear message and a checkpoint of the last good state.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
train() {  # run_dir [options]
  local dir=$1
  shift
  vdmc_mpirun 2 -x VDMC_TRAIN_TEST_NAN "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" "$@" >"$work/$dir.log" 2>&1
}
# rank 1 sees a NaN loss at steps 2 and 3 (0-based): two skipped steps, the run finishes
VDMC_TRAIN_TEST_NAN=1:2:4 train transient --set optim.steps=6 && ok || bad "transient NaN ended the run"
grep -q '"step": 6,.*"skipped": 2' "$work/transient/log.jsonl" && ok || bad "log.jsonl does not count 2 skips"
grep -q "skipped 2" "$work/transient.log" && ok || bad "progress line does not count 2 skips"
# the skipped steps left params, EMA, Adam moments and schedule bins untouched: the
# checkpoint after them (step 4) equals the one before (step 2) except the counters
VDMC_TRAIN_TEST_NAN=1:2:4 train frozen --set optim.steps=4 --set run.checkpoint_every=2 && ok || bad "frozen run"
if "$vdmc" compare "$work/frozen/checkpoints/step-00000004.h5" "$work/frozen/checkpoints/step-00000002.h5" \
     --tol 0 >"$work/frozen.cmp" 2>&1; then bad "counters should differ"; else
  grep -E "^/arrays/(params|ema|adam_m|adam_v)|adaptive_bins" "$work/frozen.cmp" | grep -vq " ok$" \
    && { bad "skipped steps changed the state:"; cat "$work/frozen.cmp"; } || ok
fi
# a NaN from step 1 on: 3 consecutive skips end the run with a message and a checkpoint
if VDMC_TRAIN_TEST_NAN=0:1:1000 train persistent --set optim.steps=20 --set optim.max_skipped_steps=3; then
  bad "persistent NaN did not fail the run"
else
  grep -q "3 consecutive steps had a non-finite loss or gradient" "$work/persistent.log" && ok || bad "no clear message"
  [ "$(cat "$work/persistent/checkpoints/latest" 2>/dev/null)" = step-00000004.h5 ] && ok \
    || bad "no checkpoint of the last good state (latest: $(cat "$work/persistent/checkpoints/latest" 2>/dev/null))"
fi
finish train_nonfinite
