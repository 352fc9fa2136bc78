#!/usr/bin/env bash
# The other Slurm scripts under a real 2-node Slurm cluster, side by side:
#   jobs/chain.sh 2: two train.sbatch jobs, the second `afterany` the first. The first
#     is cancelled mid-run (a crash, as far as the chain knows); the second must start
#     only after it ended, resume from its checkpoint and complete the run.
#   jobs/scaling.sbatch on 2 nodes x 1 rank: weak and strong runs at P = 1, 2 (P = 2
#     across node1 and node2), the allreduce benchmark and the scaling model's table.
set -u
source "$(dirname "$0")/fixture.sh"
cluster_up 2

scaling=$(VDMC_BUILD=$(dirname "$vdmc") submit -N 2 --ntasks-per-node=1 -o "$work/scaling.out" \
  "$src/jobs/scaling.sbatch" "$tiny" 2 4 "$work/scaling" "${data_args[@]}" --set optim.warmup_images=0)

chain_args=("$tiny" "$work/run" -N 2 --ntasks-per-node=1 -o "$work/chain-%j.out" --
  --set optim.steps=30 --set run.checkpoint_every=2 "${data_args[@]}")
mapfile -t ids < <(cd "$work" && VDMC=$vdmc VDMC_TRAIN_TEST_STEP_DELAY_MS=300 login "$src/jobs/chain.sh" 2 "${chain_args[@]}" |
  sed -n 's/^chain: job [0-9]*\/2 = \([0-9]*\).*/\1/p')
[ ${#ids[@]} -eq 2 ] && ok || { bad "chain.sh did not submit 2 jobs (${ids[*]})"; finish cluster.jobs; exit; }
[ "$(job_field "${ids[1]}" Dependency)" = "afterany:${ids[0]}(unfulfilled)" ] && ok || bad "job 2 does not depend on job 1"
wait_step "$work/run" 6 60 && login scancel "${ids[0]}" || bad "chain: job 1 never reached step 6"
first=$(wait_job "${ids[0]}" 60)
second=$(wait_job "${ids[1]}" 120)
echo "chain: job ${ids[0]} $first, job ${ids[1]} $second"
[ "$first" = CANCELLED ] && ok || bad "chain: job 1 ended $first"
[ "$second" = COMPLETED ] && ok || { bad "chain: job 2 ended $second"; tail -5 "$work/chain-${ids[1]}.out"; }
ended=$(date -d "$(job_field "${ids[0]}" EndTime)" +%s) started=$(date -d "$(job_field "${ids[1]}" StartTime)" +%s)
[ "$started" -ge "$ended" ] && ok || bad "chain: job 2 started before job 1 ended"
grep -q "resumed from" "$work/chain-${ids[1]}.out" && grep -q "training complete at step 30" "$work/chain-${ids[1]}.out" && ok ||
  bad "chain: job 2 did not resume and complete"

state=$(wait_job "$scaling" 240)
echo "scaling: job $scaling $state"
[ "$state" = COMPLETED ] && ok || { bad "scaling.sbatch ended $state"; tail -5 "$work/scaling.out"; }
for r in weak_p1 weak_p2 strong_p1 strong_p2; do
  grep -q "^$r P=.*SUMMARY" "$work/scaling.out" && ok || bad "scaling.sbatch: no summary of $r"
done
grep -q "ranks on hosts: node1 0, node2 1$" "$work/scaling/weak_p2.log" && ok || bad "scaling.sbatch: P=2 not across node1, node2"
[ -s "$work/scaling/model.txt" ] && ok || bad "scaling.sbatch: no scaling-model table"
finish "cluster.jobs"
