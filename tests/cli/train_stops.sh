#!/usr/bin/env bash
# How a running job stops. Stop signals (core/signals.h): SIGINT checkpoints and exits
# 0 like SIGTERM/SIGUSR1;
# a signal that arrives while vdmc is still starting (before the BLAS re-exec, MPI_Init
# or the resume) is a stop request, not a kill. (A second SIGINT killing, and a request
# held across the re-exec: tests/unit/test_signals.c.) A data error on one rank mid-run
# (a batch it cannot read) stops every rank through the same collective path: a
# checkpoint of the steps done, one line naming the rank's error, a non-zero exit.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
start() {  # run_dir: trains in the background, sets $pid
  "$vdmc" train "$tiny" --run "$work/$1" "${data_args[@]}" --set optim.steps=100000 --set run.checkpoint_every=100000 \
    --set run.sample_every=0 >"$work/$1.log" 2>&1 &
  pid=$!
}
wait_step() {  # run_dir step
  for _ in $(seq 1 600); do
    grep -q "\"step\": $2," "$work/$1/log.jsonl" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
stopped_cleanly() {  # name rc
  [ "$2" -eq 0 ] && ok || { bad "$1: exit $2"; tail -3 "$work/$1.log"; }
  grep -q "stop signal: checkpointed step" "$work/$1.log" && ok || bad "$1: no checkpoint message"
  "$vdmc" info "$work/$1" >/dev/null 2>&1 && ok || bad "$1: the checkpoint does not load"
}

# 1. one SIGINT mid-run: checkpoint, exit 0
start int
wait_step int 2 || bad "int: no step 2"
kill -INT $pid
wait $pid
stopped_cleanly int $?

# 2. a signal while vdmc is still starting (VDMC_TRAIN_TEST_PAUSE_AT_START stops the
#    process right after main() installed the handlers, before the BLAS check, MPI_Init
#    and the resume): the signal waits, then stops the run after its first step
for sig in TERM USR1 INT; do
  VDMC_TRAIN_TEST_PAUSE_AT_START=1 start early-$sig
  for _ in $(seq 1 600); do
    [ "$(ps -o stat= -p $pid 2>/dev/null | cut -c1)" = T ] && break
    sleep 0.02
  done
  kill -$sig $pid
  kill -CONT $pid
  wait $pid
  stopped_cleanly early-$sig $?
  grep -q "checkpointed step 1, " "$work/early-$sig.log" && ok || bad "early-$sig: did not stop at step 1"
done

# 3. rank 1 of 2 cannot read its batch of step 5: both ranks stop after a checkpoint of step 4
VDMC_TRAIN_TEST_DATA_ERROR=1:4 vdmc_mpirun 2 "$vdmc" train "$tiny" --run "$work/data" "${data_args[@]}" \
  --set optim.steps=10 --set run.sample_every=0 >"$work/data.log" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && ok || bad "data error: exit $rc (expected a plain failure)"
grep -q "rank 1.*cannot read its batch of step 5; stopped with a checkpoint of step 4" "$work/data.log" && ok \
  || { bad "data error: no clear line"; grep -v '^step' "$work/data.log" | tail -3; }
! grep -q "MPI_ABORT" "$work/data.log" && ok || bad "data error: ended in MPI_ABORT"
[ "$(cat "$work/data/checkpoints/latest" 2>/dev/null)" = step-00000004.h5 ] && ok || bad "data error: no step-4 checkpoint"
finish train_stops
