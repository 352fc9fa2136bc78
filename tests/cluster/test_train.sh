#!/usr/bin/env bash
# jobs/train.sbatch on a real 2-node Slurm cluster (tests/cluster/up.sh), 1 rank per
# node, with both launchers: mpirun inside the allocation (the default; its rank on
# node2 runs under an srun-launched orted whose SLURM_NTASKS=1 once made that rank
# fail alone and the job hang) and srun --mpi=pmix. Each job must complete, its log
# must place rank 0 on node1 and rank 1 on node2, each node's link must have carried
# at least one full gradient per step (the allreduce went over TCP between
# namespaces), and the final checkpoint must be bit-identical to a single-host run
# of 2 ranks over shared memory.
set -u
source "$(dirname "$0")/fixture.sh"
cluster_up 2
steps=8
args=("$tiny" --set optim.steps=$steps "${data_args[@]}")

(cd "$work" && vdmc_mpirun 2 "$vdmc" train "${args[@]}" --run "$work/ref" >"$work/ref.log" 2>&1) ||
  { bad "single-host reference run failed"; tail -5 "$work/ref.log"; }
params=$(sed -n 's/.*, \([0-9]*\) parameters,.*/\1/p' "$work/ref.log")

for launcher in mpirun srun; do
  before=($(cluster_link_bytes 1) $(cluster_link_bytes 2))
  t0=$SECONDS
  id=$(VDMC_LAUNCHER=$launcher submit -N 2 --ntasks-per-node=1 --time=2 -o "$work/$launcher.out" \
    "$src/jobs/train.sbatch" "${args[0]}" "$work/$launcher" "${args[@]:1}")
  state=$(wait_job "$id" 150)
  echo "$launcher: job $id $state in $((SECONDS - t0)) s"
  [ "$state" = COMPLETED ] && ok || { bad "$launcher: job $id ended $state"; tail -5 "$work/$launcher.out"; }
  grep -q "ranks on hosts: node1 0, node2 1$" "$work/$launcher.out" && ok || bad "$launcher: ranks not on node1, node2"
  for k in 1 2; do
    moved=$(( $(cluster_link_bytes $k) - ${before[k - 1]} ))
    echo "$launcher: node$k eth0 moved $moved bytes ($steps steps x $params fp32 gradients = $((steps * params * 4)))"
    [ "$moved" -ge $((steps * params * 4)) ] && ok || bad "$launcher: node$k's link moved only $moved bytes"
  done
  same_weights "$launcher" "$work/ref" "$work/$launcher"
done
finish "cluster.train"
