#!/usr/bin/env bash
# The gradient sum's algorithm at P = 2 (mpi/iallreduce_algorithm.h): vdmc asks Open
# MPI for libnbc's ring and says so; a run with it ends bit-identical to a run with the
# binomial tree (the environment's choice, which vdmc leaves alone); the variable set
# on one rank only stops both with one line instead of running two algorithms.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
var=OMPI_MCA_coll_libnbc_iallreduce_algorithm
unset "$var"
run=("$vdmc" train "$tiny" "${data_args[@]}" --set optim.steps=3 --set run.checkpoint_every=3)
final=checkpoints/step-00000003.h5

vdmc_mpirun 2 "${run[@]}" --run "$work/ring" >"$work/ring.log" 2>&1 && ok || { bad "P=2 run failed"; tail -3 "$work/ring.log"; }
grep -q "gradient sum: MPI_Iallreduce per bucket, libnbc ring (set by vdmc at P = 2" "$work/ring.log" && ok ||
  bad "no ring line: $(grep 'gradient sum' "$work/ring.log")"
env "$var=2" bash -c "source '$(dirname "$0")/../common/mpirun.sh'; vdmc_mpirun 2 ${run[*]@Q} --run '$work/tree'" \
  >"$work/tree.log" 2>&1 && ok || { bad "P=2 tree run failed"; tail -3 "$work/tree.log"; }
grep -q "gradient sum: MPI_Iallreduce per bucket, as coll_libnbc_iallreduce_algorithm was set outside vdmc" \
  "$work/tree.log" && ok || bad "no line for the environment's choice: $(grep 'gradient sum' "$work/tree.log")"
"$vdmc" compare "$work/ring/$final" "$work/tree/$final" --tol 0 >"$work/cmp.txt" 2>&1 && ok ||
  { bad "ring and tree differ"; cat "$work/cmp.txt"; }

timeout 120 bash -c "source '$(dirname "$0")/../common/mpirun.sh'; vdmc_mpirun 1 env $var=1 ${run[*]@Q} --run '$work/split' : -n 1 ${run[*]@Q} --run '$work/split'" \
  >"$work/split.log" 2>&1 && bad "the variable on one rank only was accepted" || {
  [ "$(grep -c "ranks disagree on Open MPI's coll_libnbc_iallreduce_algorithm (values 0 to 1" "$work/split.log")" = 1 ] &&
    ok || { bad "no single disagreement line"; tail -5 "$work/split.log"; }; }
[ ! -e "$work/split/$final" ] && ok || bad "the split run wrote a final checkpoint"
finish iallreduce_algorithm
