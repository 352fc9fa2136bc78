#!/usr/bin/env bash
# FID during training (docs/training.md "Evaluation during training"): a feature
# classifier trained for a second and its statistics of data.test (as fid_generate.sh);
#   1. eval.fid_n adds eval_fid, eval_is to the evaluation line of log.jsonl (and the
#      stderr line and progress line), equal to `vdmc eval CHECKPOINT --fid --n N --ref
#      --features --sampler --steps --seed --sample-batch MB` on that step's checkpoint
#      (to the printed digits) at P=1 and P=2, guided (eval.fid_guidance, vdmc eval --guidance)
#      too, and TensorBoard's scalars (tests/cli/tensorboard_check.py);
#   2. the training bits do not depend on it (vdmc compare --tol 0 with a run without);
#   3. run.keep_best fid keeps RUN/best.h5 with the lowest eval_fid (its eval_best
#      extra names the metric); resuming it with keep_best bpd is one line, file kept;
#   4. a wrong feature network, missing eval.fid_ref, eval.fid_n below the IS splits,
#      keep_best fid without eval.fid_n, eval.fid_n without run.eval_every: one line
#      before the first step;
#   5. a FID that fails mid-run on one rank (P=2, rank 1 at step 4, as a non-finite sample
#      would: VDMC_TRAIN_TEST_FID_ERROR) keeps the bits/dim of that evaluation (log.jsonl
#      line without eval_fid, equal to the P=2 run's, TensorBoard, keep_best bpd's best.h5),
#      then every rank stops after the step-4 checkpoint with one line naming the files,
#      exit 1; resumed, the run evaluates step 8 with its FID, and profiling/report reads
#      the mixed log.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
test_set="$work/data/fashion-mnist-test.h5"
"$vdmc" train-classifier "$test_set" --out "$work/feat.h5" --epochs 0.3 --width 4 --batch 32 --lr 0.01 \
  >"$work/cls.log" 2>&1 || { cat "$work/cls.log"; bad "train-classifier"; }
"$vdmc" fid-stats "$test_set" --features "$work/feat.h5" --out "$work/ref.h5" >"$work/stats.log" 2>&1 ||
  { cat "$work/stats.log"; bad "fid-stats"; }
N=20 STEPS=4 MB=8  # MB: tests/configs/tiny.yaml's batch at P=1, the trainer's micro-batch
fid_base=(--set run.eval_every=4 --set eval.bpd_n=16 --set eval.fid_n=$N --set eval.fid_steps=$STEPS)
fid_set=("${fid_base[@]}" --set "eval.fid_ref=$work/ref.h5" --set "eval.fid_features=$work/feat.h5")
train() {  # run_dir steps extra-args... (NP ranks, default 1)
  local dir=$1 steps=$2
  shift 2
  vdmc_mpirun "${NP:-1}" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps="$steps" \
    --set run.checkpoint_every=4 --set run.sample_every=0 "$@" >>"$work/$dir.log" 2>&1
}
fids() {  # run_dir: "step eval_fid" per evaluation line
  grep '"eval_fid"' "$work/$1/log.jsonl" | sed -E 's/.*"step": ([0-9]+), .*"eval_fid": ([^,]+),.*/\1 \2/'
}
eval_fid() {  # checkpoint [ranks [micro-batch [guidance]]]: the fid `vdmc eval --fid` prints
  vdmc_mpirun "${2:-1}" "$vdmc" eval "$1" --fid --n $N --ref "$work/ref.h5" --features "$work/feat.h5" --sampler dpmpp-3m-sde \
    --steps $STEPS --seed 0 --sample-batch "${3:-$MB}" --guidance "${4:-0}" 2>/dev/null </dev/null | awk '$1 == "fid" {print $2}'
}

# 1. the value is vdmc eval's
train fid 8 "${fid_set[@]}" --set run.keep_best=fid && ok || { bad "training with eval.fid_n"; tail -3 "$work/fid.log"; }
[ "$(fids fid | cut -d' ' -f1 | tr '\n' ' ')" = "4 8 " ] && ok || bad "FID at steps: $(fids fid | tr '\n' ' ')"
grep -q '"eval_is": [0-9.e+-]*, "eval_is_std": [0-9.e+-]*, "eval_fid_n": 20, "eval_s"' "$work/fid/log.jsonl" && ok ||
  bad "no eval_is in log.jsonl"
grep -q "step 8 eval: test bits/dim .* (16 examples), FID .*, inception score .* (20 samples) in" "$work/fid.log" && ok ||
  bad "no FID in the evaluation line on stderr"
grep -q "step 8/8 .* bpd [0-9.]*  fid [0-9.e+-]*$" "$work/fid.log" && ok || bad "the progress line does not show eval_fid"
# docs/training.md's example evaluation line has the keys vdmc writes, in its order
keys() { grep -o '"[a-z_]*":' | tr -d '":' | tr '\n' ' '; }
doc_keys=$(grep -m1 '^    {"step": .*"eval_fid"' "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/docs/training.md" | keys)
run_keys=$(grep -m1 '"eval_fid"' "$work/fid/log.jsonl" | keys)
[ -n "$doc_keys" ] && [ "$doc_keys" = "$run_keys" ] && ok ||
  bad "docs/training.md's example line has keys '$doc_keys', vdmc writes '$run_keys'"
compared=0
while read -r step fid; do
  compared=$((compared + 1))
  want=$(eval_fid "$work/fid/checkpoints/step-0000000$step.h5")
  got=$(printf '%.10g' "$fid")
  echo "step $step: eval_fid $fid, vdmc eval $want"
  [ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "step $step: eval_fid $got, vdmc eval $want"
done < <(fids fid)
[ $compared = 2 ] && ok || bad "$compared evaluations compared with vdmc eval, not 2"
# at P=2 (micro-batch 4 per rank): vdmc eval at P=2 with the same batches
NP=2 train fid2 4 "${fid_set[@]}" && ok || { bad "training with eval.fid_n at P=2"; tail -3 "$work/fid2.log"; }
want=$(eval_fid "$work/fid2/checkpoints/step-00000004.h5" 2 4)
got=$(fids fid2 | awk '$1 == 4 {printf "%.10g", $2}')
echo "P=2 step 4: eval_fid $got, vdmc eval $want"
[ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "P=2: eval_fid $got, vdmc eval $want"
# guided samples (eval.fid_guidance): vdmc eval --guidance with half the micro-batch, as
# a guided batch of B runs 2B rows of the network
NP=2 train fidg 4 "${fid_set[@]}" --set eval.fid_guidance=0.5 && ok || { bad "eval.fid_guidance"; tail -3 "$work/fidg.log"; }
want=$(eval_fid "$work/fidg/checkpoints/step-00000004.h5" 2 2 0.5)
got=$(fids fidg | awk '$1 == 4 {printf "%.10g", $2}')
unguided=$(fids fid2 | awk '$1 == 4 {printf "%.10g", $2}')
echo "P=2 step 4, guidance 0.5: eval_fid $got, vdmc eval $want (unguided $unguided)"
[ -n "$want" ] && [ "$got" = "$want" ] && [ "$got" != "$unguided" ] && ok || bad "guided: eval_fid $got, vdmc eval $want, unguided $unguided"
# TensorBoard: every scalar (eval_fid, eval_is, ... included) equals log.jsonl's value
if /usr/bin/python3 "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/cli/tensorboard_check.py" check "$work/fid" \
  >"$work/tb.out" 2>&1 && grep -q '"eval_fid"' "$work/fid/log.jsonl"; then ok; else bad "TensorBoard scalars:"; cat "$work/tb.out"; fi

# 2. the same training bits without evaluation
train plain 8 && ok || bad "training without evaluation"
for s in 4 8; do
  f=checkpoints/step-0000000$s.h5
  "$vdmc" compare "$work/fid/$f" "$work/plain/$f" --tol 0 >"$work/cmp$s.out" 2>&1 && ok ||
    { bad "step $s: FID evaluation changed the training bits"; cat "$work/cmp$s.out"; }
done

# 3. keep_best fid: best.h5 is the step of the lowest eval_fid
best=$(fids fid | sort -g -k2 | head -1 | cut -d' ' -f1)
"$vdmc" compare "$work/fid/best.h5" "$work/fid/checkpoints/step-0000000$best.h5" --tol 0 >"$work/cmpbest.out" 2>&1
grep -q "worst max rel diff 0.000e+00 (tol 0)" "$work/cmpbest.out" && grep -q "extras/eval_best: only in" "$work/cmpbest.out" &&
  ok || { bad "best.h5 is not the state of step $best"; cat "$work/cmpbest.out"; }
sum=$(sha256sum <"$work/fid/best.h5")
if train fid 12 "${fid_set[@]}" --set run.keep_best=bpd; then bad "keep_best bpd resumed a best.h5 kept by fid"; else
  grep -q "vdmc train: run.keep_best bpd: .*/fid/best.h5 was kept by the lowest eval_fid; move it away or keep_best fid" \
    "$work/fid.log" && ok || { bad "no clear line for the other metric:"; tail -2 "$work/fid.log"; }; fi
[ "$(sha256sum <"$work/fid/best.h5")" = "$sum" ] && ok || bad "best.h5 changed"

# 4. bad input: one line, no step taken
bad_run() {  # name pattern extra-args...
  local name=$1 pattern=$2
  shift 2
  if train "$name" 2 "$@"; then bad "$name accepted"; else
    grep -qF -- "$pattern" "$work/$name.log" && ok || { bad "$name: no '$pattern':"; cat "$work/$name.log"; }
    [ ! -e "$work/$name/checkpoints" ] && ok || bad "$name: a checkpoint was written"
  fi
}
bad_run wrongfeat "vdmc train: eval.fid_n $N (--set eval.fid_n): " "${fid_base[@]}" --set "eval.fid_ref=$work/ref.h5" \
  --set "eval.fid_features=$work/ref.h5"
bad_run noref "vdmc train: --set eval.fid_n: eval.fid_n $N needs eval.fid_ref" "${fid_base[@]}" \
  --set "eval.fid_features=$work/feat.h5"
bad_run fewfid "vdmc train: --set eval.fid_n: eval.fid_n 5: the Inception Score needs at least 10 samples" \
  --set run.eval_every=4 --set eval.fid_n=5 --set "eval.fid_ref=$work/ref.h5" --set "eval.fid_features=$work/feat.h5"
bad_run nofid "vdmc train: --set run.keep_best: run.keep_best fid keeps the lowest eval_fid, but eval.fid_n is 0" \
  --set run.eval_every=4 --set run.keep_best=fid
bad_run noevery "vdmc train: --set eval.fid_n: eval.fid_n 20 asks for the FID during training, but run.eval_every is 0" \
  --set eval.fid_n=$N --set "eval.fid_ref=$work/ref.h5" --set "eval.fid_features=$work/feat.h5"
grep "vdmc train: " "$work/wrongfeat.log" | tail -1
[ "$(grep -c "^vdmc train: eval.fid_n" "$work/wrongfeat.log")" = 1 ] && ok || bad "more than one line for a wrong feature network"

# 5. the FID fails on rank 1 at step 4: the bits/dim stays, the run stops after a checkpoint
VDMC_TRAIN_TEST_FID_ERROR=1:4 NP=2 train fidfail 8 "${fid_set[@]}" --set run.keep_best=bpd
rc=$?
[ $rc = 1 ] && ok || bad "a failed FID: exit $rc, not 1"
grep "^vdmc train: step 4:" "$work/fidfail.log"
grep -qxF "vdmc train: step 4: the FID of eval.fid_n $N samples (eval.fid_ref $work/ref.h5, eval.fid_features $work/feat.h5) failed: rank 1: sample 0 is not finite: the model's output overflowed (test hook VDMC_TRAIN_TEST_FID_ERROR); the bits/dim of this evaluation is in log.jsonl; stopped with a checkpoint of step 4" "$work/fidfail.log" &&
  [ "$(grep -c "the FID of eval.fid_n" "$work/fidfail.log")" = 1 ] && ok ||
  { bad "no clear line for the failed FID:"; tail -12 "$work/fidfail.log"; }
bpd() {  # run_dir step: its eval_bpd as printed
  sed -n "s/.*\"step\": $2, \"images\": [0-9]*, \"eval_bpd\": \([^,]*\),.*/\1/p" "$work/$1/log.jsonl"
}
[ -n "$(bpd fidfail 4)" ] && [ "$(bpd fidfail 4)" = "$(bpd fid2 4)" ] && ok ||
  bad "step 4's eval_bpd after the failed FID '$(bpd fidfail 4)', the P=2 run's '$(bpd fid2 4)'"
grep -q '"step": 4, .*"eval_bpd"' "$work/fidfail/log.jsonl" && ! grep -q '"eval_fid"' "$work/fidfail/log.jsonl" && ok ||
  bad "log.jsonl: not one eval_bpd line without eval_fid"
grep -q "step 4 eval: test bits/dim .* (16 examples) in .*, the best: kept$" "$work/fidfail.log" && [ -f "$work/fidfail/best.h5" ] &&
  ok || bad "the bits/dim of the failed evaluation was not kept as the best"
[ "$(cat "$work/fidfail/checkpoints/latest" 2>/dev/null)" = step-00000004.h5 ] && ok || bad "latest is not step 4"
if /usr/bin/python3 "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/cli/tensorboard_check.py" check "$work/fidfail" \
  >"$work/tbfail.out" 2>&1; then ok; else bad "TensorBoard scalars of the failed FID:"; cat "$work/tbfail.out"; fi
NP=2 train fidfail 8 "${fid_set[@]}" --set run.keep_best=bpd && ok || bad "resume after the failed FID"
[ "$(fids fidfail | cut -d' ' -f1)" = 8 ] && ok || bad "the resumed run has no FID at step 8"
"$(dirname "$vdmc")/profiling/report" "$work/fidfail" >"$work/report.out" 2>&1 &&
  grep -q "^EVAL bpd_last=$(bpd fidfail 8) bpd_last_step=8 .* fid_last=[0-9.e+-]* fid_last_step=8 .* evaluations=2$" \
    "$work/report.out" && ok || { bad "report of the mixed log:"; cat "$work/report.out"; }

finish train_fid
