#!/usr/bin/env bash
# Preemption on a real 3-node Slurm cluster: three train.sbatch jobs of 2 ranks on 2
# nodes run side by side (each on its own pair, as each node has CPUs for 2 jobs), each stopped once in another way, and each must be
# requeued by Slurm, resume and end with weights bit-identical to an uninterrupted
# single-host run:
#   timelimit  --time=1 --signal=B:USR1@50: slurmctld signals the batch script
#              (its 30-s timer: 10..40 s after the start), the ranks checkpoint and the
#              script requeues; the USR1 must come before any time-limit kill
#   requeue    `scontrol requeue` at step 5: Slurm kills the job (SIGTERM, ranks
#              checkpoint if they can) and requeues it
#   usr1       `scancel --signal=USR1 --batch` at step 5: as the time-limit signal, with
#              VDMC_LAUNCHER=srun (srun --mpi=pmix forwards USR1 to the ranks); the
#              other two use mpirun
# --open-mode=append (train.sbatch) keeps both parts' output. Steps sleep 1.2 s
# (VDMC_TRAIN_TEST_STEP_DELAY_MS): 40 steps outlast the latest time-limit signal
# at no CPU cost.
set -u
source "$(dirname "$0")/fixture.sh"
cluster_up 3
args=("$tiny" --set optim.steps=40 --set run.checkpoint_every=4 "${data_args[@]}")
export VDMC_TRAIN_TEST_STEP_DELAY_MS=1200
t0=$SECONDS
declare -A id nodes=([timelimit]=node1,node2 [requeue]=node2,node3 [usr1]=node1,node3) \
  launcher=([timelimit]=mpirun [requeue]=mpirun [usr1]=srun)
for kind in timelimit requeue usr1; do
  extra=()
  [ $kind = timelimit ] && extra=(--time=1 --signal=B:USR1@50)
  id[$kind]=$(VDMC_LAUNCHER=${launcher[$kind]} submit -N 2 --ntasks-per-node=1 -w "${nodes[$kind]}" "${extra[@]}" -o "$work/$kind.out" \
    "$src/jobs/train.sbatch" "${args[0]}" "$work/$kind" "${args[@]:1}")
done
(cd "$work" && VDMC_TRAIN_TEST_STEP_DELAY_MS=0 vdmc_mpirun 2 "$vdmc" train "${args[@]}" --run "$work/ref" \
  >"$work/ref.log" 2>&1) || { bad "single-host reference run failed"; tail -5 "$work/ref.log"; }

wait_step "$work/requeue" 5 60 && login scontrol requeue "${id[requeue]}" || bad "requeue: no step 5 to requeue at"
wait_step "$work/usr1" 5 60 && login scancel --signal=USR1 --batch "${id[usr1]}" || bad "usr1: no step 5 to signal at"
for kind in timelimit requeue usr1; do
  state=$(wait_job "${id[$kind]}" 240)
  restarts=$(job_field "${id[$kind]}" Restarts)
  echo "$kind (${launcher[$kind]}): job ${id[$kind]} $state after $((SECONDS - t0)) s, $restarts requeue(s)"
  [ "$state" = COMPLETED ] && ok || { bad "$kind: job ended $state"; tail -5 "$work/$kind.out"; }
  [ "${restarts:-0}" -ge 1 ] && ok || bad "$kind: never requeued"
  grep -q "restart 0:" "$work/$kind.out" && grep -q "restart 1:" "$work/$kind.out" && ok ||
    bad "$kind: the output does not hold both parts"
  grep -q "resumed from" "$work/$kind.out" && ok || bad "$kind: did not resume from a checkpoint"
  same_weights "$kind" "$work/ref" "$work/$kind"
done
for kind in timelimit usr1; do
  grep -q "USR1 (time limit near)" "$work/$kind.out" && grep -q "stop signal: checkpointed step" "$work/$kind.out" && ok ||
    bad "$kind: no USR1 checkpoint"
done
grep -q "DUE TO TIME LIMIT" "$work/timelimit.out" && bad "timelimit: killed by the time limit before USR1 stopped it" || ok
grep -m1 "stop signal" "$work/timelimit.out"
finish "cluster.requeue"
