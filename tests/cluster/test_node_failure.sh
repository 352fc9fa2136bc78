#!/usr/bin/env bash
# A node dies mid-run on a real 3-node Slurm cluster; the job must end within a
# bounded time instead of hanging, its latest checkpoint must be intact, and a job
# resubmitted on the remaining nodes with fewer ranks must resume from it. Twice:
#   1. 3 ranks on node1-3; node3's slurmd and tasks are killed (kill -9 of every
#      process in its namespace): the TCP peers see the connections reset, mpirun
#      ("lost communication with a remote daemon") ends the job at once (bound: 20 s);
#      the job stays COMPLETING until slurmctld marks node3 DOWN (SlurmdTimeout=10),
#      which does not keep node1-2 from the next part
#   2. resubmitted as 2 ranks on node1-2; node2's link goes down (no reset: peers just
#      stop hearing from it): slurmctld marks node2 DOWN after SlurmdTimeout=10 s and
#      ends the job (bound: 45 s; docs/cluster.md)
#   3. resubmitted as 1 rank on node1: resumes and completes.
# --no-requeue: Slurm would otherwise requeue the job onto the same, smaller set of nodes
# it asked for. Steps of the first two parts sleep 0.5 s (VDMC_TRAIN_TEST_STEP_DELAY_MS)
# so the failures hit mid-run.
set -u
source "$(dirname "$0")/fixture.sh"
cluster_up 3
args=("$tiny" --set optim.steps=40 --set optim.batch_size=12 --set run.checkpoint_every=2 "${data_args[@]}")
export VDMC_TRAIN_TEST_STEP_DELAY_MS=500
run=$work/run
broken=()

checkpoint_step() { "$vdmc" info "$run" 2>/dev/null | awk '/^step:/ { print $2 }'; }

part() {  # NAME NODES: submits a part of the run on NODES; sets $id
  id=$(submit -N "$(tr ',' '\n' <<<"$2" | wc -l)" --ntasks-per-node=1 -w "$2" --no-requeue -o "$work/$1.out" \
    "$src/jobs/train.sbatch" "${args[0]}" "$run" "${args[@]:1}")
}

fail_node() {  # NAME HOW BOUND: waits for a few steps, breaks the last node HOW, checks the job ends
  local name=$1 how=$2 bound=$3 from
  from=$(checkpoint_step)
  for _ in $(seq 1 600); do
    [ "$(checkpoint_step)" -ge $(( ${from:-0} + 4 )) ] 2>/dev/null && break
    sleep 0.1
  done
  local at=$(checkpoint_step) t0=$SECONDS
  $how
  local state=$(wait_job "$id" "$bound" "COMPLETING|$job_ended")
  echo "$name: checkpoint at step $at; job $id stopped ($state) $((SECONDS - t0)) s after the failure (bound $bound s)"
  [[ "$state" != TIMEOUT_WAITING* ]] && ok || bad "$name: the job still ran $bound s after the failure"
  broken+=("$id")  # its final state is checked at the end: a dead node keeps it COMPLETING a while
  # intact: the latest checkpoint opens and reads in full (compared with itself)
  local latest=$run/checkpoints/$(cat "$run/checkpoints/latest")
  "$vdmc" compare "$latest" "$latest" --tol 0 >/dev/null 2>&1 && ok || bad "$name: latest checkpoint $latest is unreadable"
  resumed_at=$(checkpoint_step)
}

kill_node3() { kill -9 $(ip netns pids "$(cluster_node_ns 3)"); }
unplug_node2() { ip -n "$cluster_sw" link set v2 down; }

part first node1,node2,node3
fail_node "kill node3" kill_node3 20
part second node1,node2
fail_node "unplug node2" unplug_node2 45
grep -q "resumed from .* at step" "$work/second.out" && ok || bad "second part did not resume"
VDMC_TRAIN_TEST_STEP_DELAY_MS=0 part third node1
state=$(wait_job "$id" 120)
[ "$state" = COMPLETED ] && ok || { bad "third part (1 rank) ended $state"; tail -5 "$work/third.out"; }
grep -q "resumed from .* at step $resumed_at" "$work/third.out" && ok || bad "third part did not resume from step $resumed_at"
grep -q "training complete at step 40" "$work/third.out" && ok || bad "third part did not complete"
for id in "${broken[@]}"; do
  state=$(wait_job "$id" 60)
  echo "job $id: $state"
  [[ "$state" != TIMEOUT_WAITING* ]] && [ "$state" != COMPLETED ] && ok || bad "job $id ended $state"
done
login sinfo -N -h -o "%N %T" | tr '\n' ' '; echo
finish "cluster.node_failure"
