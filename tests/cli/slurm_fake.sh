#!/usr/bin/env bash
# jobs/train.sbatch under a fake Slurm (no cluster here): SLURM_* variables, a stand-in
# scontrol that records requeues. USR1 sent to the batch script (as --signal=B:USR1
# does) must reach the 2 ranks through mpirun; the run checkpoints, the script exits 0
# and requeues; the next invocation resumes and completes without requeueing.
set -u
source "$(dirname "$0")/../common/train_env.sh"
src="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
source "$(dirname "$0")/../common/counters.sh"
mkdir -p "$work/bin"
cat >"$work/bin/scontrol" <<EOS
#!/usr/bin/env bash
echo "\$*" >>"$work/scontrol.calls"
EOS
chmod +x "$work/bin/scontrol"
export PATH="$work/bin:$PATH" SLURM_NTASKS=2 SLURM_CPUS_PER_TASK=1 SLURM_JOB_ID=4242 VDMC="$vdmc"
export SLURM_SUBMIT_DIR="$work"
args=("$tiny" "$work/run" "${data_args[@]}" --set run.log_every=1 --set run.checkpoint_every=1000)

bash "$src/jobs/train.sbatch" "${args[@]}" --set optim.steps=400 >"$work/job1.log" 2>&1 &
job=$!
for _ in $(seq 1 600); do
  grep -q '"step": 3,' "$work/run/log.jsonl" 2>/dev/null && break
  sleep 0.1
done
kill -USR1 $job
wait $job && ok || bad "first job did not exit 0"
grep -q "requeue 4242" "$work/scontrol.calls" 2>/dev/null && ok || bad "no scontrol requeue after USR1"
step=$("$vdmc" info "$work/run" | awk '/^step:/ { print $2 }')
[ -n "$step" ] && [ "$step" -gt 0 ] && [ "$step" -lt 400 ] && ok || bad "no mid-run checkpoint (step '$step')"
echo "stopped at step $step"

rm -f "$work/scontrol.calls"
SLURM_RESTART_COUNT=1 bash "$src/jobs/train.sbatch" "${args[@]}" --set optim.steps=$((step + 5)) >"$work/job2.log" 2>&1 \
  && ok || bad "second job failed"
grep -q "resumed from" "$work/job2.log" && ok || bad "second job did not resume"
grep -q "training complete at step $((step + 5))" "$work/job2.log" && ok || bad "second job did not complete"
[ ! -f "$work/scontrol.calls" ] && ok || bad "a complete run was requeued"

# outside an allocation, and with a mismatching task count, it refuses loudly
env -u SLURM_NTASKS bash "$src/jobs/train.sbatch" "${args[@]}" >"$work/job3.log" 2>&1 && bad "ran without SLURM_NTASKS" || ok
SLURM_NTASKS=3 VDMC_LAUNCHER=srun PATH="$work/bin:$PATH" bash -c "
  printf '#!/usr/bin/env bash\nshift 3; exec \"\$@\"\n' >'$work/bin/srun'; chmod +x '$work/bin/srun'
  bash '$src/jobs/train.sbatch' ${args[*]@Q}" >"$work/job4.log" 2>&1 && bad "world size mismatch accepted" || {
  grep -q "differs from SLURM_NTASKS=3" "$work/job4.log" && ok || { bad "no world-size message"; tail -3 "$work/job4.log"; }; }
# a mismatch only one rank sees (under mpirun on a real cluster, the ranks of other
# nodes saw SLURM_NTASKS=1) stops every rank with the message, which rank 0 prints;
# decided on rank 1 alone, it left rank 0 silent and, across nodes, waiting forever
source "$(dirname "$0")/../common/mpirun.sh"
one=("$vdmc" train "$tiny" --run "$work/one" "${data_args[@]}" --set optim.steps=2)
timeout 120 bash -c "source '$(dirname "$0")/../common/mpirun.sh'; vdmc_mpirun 1 env SLURM_NTASKS=2 ${one[*]@Q} : -n 1 env SLURM_NTASKS=1 ${one[*]@Q}" \
  >"$work/job5.log" 2>&1 && bad "a mismatch on rank 1 alone was accepted" || {
  grep -q "differs from SLURM_NTASKS=1 (seen by rank 1)" "$work/job5.log" && ok || { bad "no agreed world-size message"; tail -3 "$work/job5.log"; }; }
# the scaling sweep over P = 1, 2 with the tiny config: reports and the model's table
SLURM_NTASKS=2 VDMC_BUILD=$(dirname "$vdmc") bash "$src/jobs/scaling.sbatch" "$tiny" 2 4 "$work/scaling" "${data_args[@]}" \
  --set optim.warmup_images=0 >"$work/scaling.log" 2>&1 && ok || { bad "scaling.sbatch failed"; tail -5 "$work/scaling.log"; }
for r in weak_p1 weak_p2 strong_p1 strong_p2; do
  grep -q "^$r P=.*SUMMARY" "$work/scaling.log" && ok || bad "scaling.sbatch: no summary of $r"
done
[ -s "$work/scaling/model.txt" ] && ok || bad "scaling.sbatch: no scaling-model table"
finish slurm_fake
