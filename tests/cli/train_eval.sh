#!/usr/bin/env bash
# Evaluation during training (docs/training.md "Evaluation during training"):
#   1. run.eval_every writes eval_bpd lines at steps 4 and 8 (the last), each equal to
#      `vdmc eval CHECKPOINT --bpd --n N --seed run.seed` on that step's checkpoint, at
#      P=1 (to the printed digits) and P=2 (ranks split the examples: to 1e-6);
#   2. the training bits do not depend on it: the same checkpoints without evaluation
#      (vdmc compare --tol 0; run.eval_every, run.keep_best and eval.* are execution keys);
#      With train.precision bf16 the evaluation switches the network to fp32 (as vdmc eval
#      builds it) and back: same training bits, vdmc eval's value;
#   3. a run resumed at step 4 evaluates step 8 to the same bits as the straight run;
#   4. eval.bpd_n beyond data.test is one line before the first step;
#   5. run.keep_best bpd: RUN/best.h5 is the state of the lowest eval_bpd (vdmc compare
#      --tol 0 with that step's checkpoint, vdmc eval gives its value), outlives the
#      pruning of RUN/checkpoints/, and a run resumed from an earlier checkpoint whose
#      evaluations are worse knows the best from the file and leaves it alone; a
#      best.h5 that keep_best did not write, or keep_best without eval_every, is one line;
#   6. run.eval_every_images: at the first step whose images cross each multiple and at
#      the last step, to the bits of the step cadence's evaluation of the same step,
#      training bits unchanged (an execution key of vdmc compare); a run stopped by a
#      signal at a due step evaluates it after its checkpoint, so stopped and resumed
#      it evaluates the steps of the straight run to the same bits; both cadences set
#      is one line before the first step;
#   7. data.test replaced by garbage in the middle of a run (stopped after the step-4
#      checkpoint): the evaluation of step 4 fails, every rank stops with one line naming
#      the file, exit 1, the checkpoint of step 4 is the latest, no evaluation line for it.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
N=16
train() {  # run_dir ranks steps extra-args...
  local dir=$1 np=$2 steps=$3
  shift 3
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps="$steps" \
    --set run.checkpoint_every=4 --set run.keep_checkpoints="${KEEP:-10}" --set run.sample_every=0 "$@" >>"$work/$dir.log" 2>&1
}
evals() {  # run_dir: "step eval_bpd" per evaluation line, eval_bpd as printed
  grep '"eval_bpd"' "$work/$1/log.jsonl" | sed -E 's/.*"step": ([0-9]+), "images": [0-9]+, "eval_bpd": ([^,]+),.*/\1 \2/'
}
eval_total() {  # checkpoint: the total bits/dim `vdmc eval` prints
  "$vdmc" eval "$1" --bpd --n $N --seed 0 2>/dev/null | awk '$1 == "total" {print $2}'
}
close() {  # a b tol
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'
}

# 1. the value is vdmc eval's
train eval1 1 8 --set run.eval_every=4 --set eval.bpd_n=$N && ok || bad "training with run.eval_every"
[ "$(evals eval1 | cut -d' ' -f1 | tr '\n' ' ')" = "4 8 " ] && ok || bad "evaluations at steps: $(evals eval1 | cut -d' ' -f1 | tr '\n' ' ')"
grep -q "step 8 eval: test bits/dim .* (16 examples) in .* s, .*% of the time so far" "$work/eval1.log" && ok ||
  bad "no evaluation line on stderr"
grep -q "step 8/8 .* bpd [0-9.]*$" "$work/eval1.log" || grep -q "step 5/8 .* bpd [0-9.]*$" "$work/eval1.log" && ok ||
  bad "the progress line does not show the last eval_bpd"
grep -q '"eval_s": [0-9.e+-]*, "eval_fraction": 0\.[0-9e+-]*}' "$work/eval1/log.jsonl" && ok || bad "no cost in log.jsonl"
while read -r step bpd; do
  want=$(eval_total "$work/eval1/checkpoints/step-0000000$step.h5")
  got=$(printf '%.6f' "$bpd")
  echo "P=1 step $step: eval_bpd $bpd, vdmc eval $want"
  [ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "step $step: eval_bpd $got, vdmc eval $want"
done < <(evals eval1)
train eval2 2 4 --set run.eval_every=4 --set eval.bpd_n=$N && ok || bad "training with run.eval_every at P=2"
bpd2=$(evals eval2 | awk '$1 == 4 {print $2}')
want2=$(eval_total "$work/eval2/checkpoints/step-00000004.h5")
echo "P=2 step 4: eval_bpd $bpd2, vdmc eval (P=1) $want2"
close "$bpd2" "$want2" 1e-6 && ok || bad "P=2: eval_bpd $bpd2, vdmc eval $want2"

# 2. the same training bits without evaluation
train plain 1 8 && ok || bad "training without evaluation"
for s in 4 8; do
  f=checkpoints/step-0000000$s.h5
  "$vdmc" compare "$work/eval1/$f" "$work/plain/$f" --tol 0 >"$work/cmp$s.out" 2>&1 && ok ||
    { bad "step $s: evaluation changed the training bits"; cat "$work/cmp$s.out"; }
done
grep -q eval_bpd "$work/plain/log.jsonl" && bad "run.eval_every 0 evaluated" || ok
train bf16 1 4 --set train.precision=bf16 --set run.eval_every=2 --set eval.bpd_n=$N && ok || bad "bf16 with evaluation"
train bf16plain 1 4 --set train.precision=bf16 && ok || bad "bf16 without evaluation"
f=checkpoints/step-00000004.h5
"$vdmc" compare "$work/bf16/$f" "$work/bf16plain/$f" --tol 0 >"$work/cmpbf16.out" 2>&1 && ok ||
  { bad "bf16: evaluation changed the training bits"; cat "$work/cmpbf16.out"; }
[ "$(eval_total "$work/bf16/$f")" = "$(evals bf16 | awk '$1 == 4 {printf "%.6f", $2}')" ] && ok ||
  bad "bf16: eval_bpd of step 4 is not vdmc eval's"

# 3. deterministic across resume: 4 steps, then on to 8
train resumed 1 4 --set run.eval_every=4 --set eval.bpd_n=$N && train resumed 1 8 --set run.eval_every=4 \
  --set eval.bpd_n=$N && ok || bad "4 steps then a resume to 8"
grep -q "resumed from .*step-00000004.h5" "$work/resumed.log" && ok || bad "did not resume"
[ "$(evals resumed)" = "$(evals eval1)" ] && ok || bad "resumed evaluations $(evals resumed | tr '\n' ' ') differ from $(evals eval1 | tr '\n' ' ')"

# 4. eval.bpd_n larger than data.test: one line, no step taken
if train toomany 1 2 --set run.eval_every=1 --set eval.bpd_n=20000; then bad "eval.bpd_n 20000 accepted"; else
  grep -q "vdmc train: run.eval_every 1: --n 20000: .* has only 10000 examples (eval.bpd_n from --set eval.bpd_n)" \
    "$work/toomany.log" && ok || { bad "no clear eval.bpd_n line:"; cat "$work/toomany.log"; }
fi
[ ! -e "$work/toomany/checkpoints" ] && ok || bad "a checkpoint was written after the eval.bpd_n error"

# 5. run.keep_best bpd (the tiny run improves: the best is the last evaluation, step 8)
KEEP=1 train best 1 8 --set run.eval_every=4 --set eval.bpd_n=$N --set run.keep_best=bpd &&
  ok || bad "training with run.keep_best bpd"
[ "$(grep -c ', the best: kept' "$work/best.log")" = 2 ] && ok || bad "steps 4 and 8 were not both kept as the best"
[ ! -e "$work/best/checkpoints/step-00000004.h5" ] && [ -f "$work/best/best.h5" ] && ok ||
  bad "best.h5 missing or step 4 not pruned"
"$vdmc" compare "$work/best/best.h5" "$work/eval1/checkpoints/step-00000008.h5" --tol 0 >"$work/cmpbest.out" 2>&1
grep -q "worst max rel diff 0.000e+00 (tol 0)" "$work/cmpbest.out" && [ "$(grep -c DIFFERS "$work/cmpbest.out")" = 1 ] &&
  grep -q "extras/eval_best: only in" "$work/cmpbest.out" && ok ||
  { bad "best.h5 is not the state of step 8"; cat "$work/cmpbest.out"; }
best8=$(evals eval1 | awk '$1 == 8 {printf "%.6f", $2}')
[ "$(eval_total "$work/best/best.h5")" = "$best8" ] && ok || bad "vdmc eval best.h5 is not eval_bpd of step 8 ($best8)"
sum=$(sha256sum <"$work/best/best.h5")
# resumed from step 4 (a copy: keep_checkpoints pruned it) to 6: its eval_bpd is worse than step 8's
cp "$work/eval1/checkpoints/step-00000004.h5" "$work/step4.h5"
train best 1 6 --set run.eval_every=2 --set eval.bpd_n=$N --set run.keep_best=bpd --resume "$work/step4.h5" &&
  ok || bad "resume with run.keep_best"
grep -q "best so far: eval_bpd $best8 at step 8" "$work/best.log" && ok || bad "the resumed run does not know the best"
grep -q "step 6 eval: .*, the best: kept" "$work/best.log" && bad "step 6 replaced a better best.h5" || ok
[ "$(sha256sum <"$work/best/best.h5")" = "$sum" ] && ok || bad "best.h5 changed"
# a best.h5 keep_best did not write is never replaced; keep_best without evaluations
mkdir -p "$work/foreign" && cp "$work/step4.h5" "$work/foreign/best.h5"
if train foreign 1 2 --set run.eval_every=1 --set eval.bpd_n=$N --set run.keep_best=bpd; then
  bad "a foreign best.h5 was accepted"; else
  grep -q "vdmc train: run.keep_best: .*/foreign/best.h5 has no valid extra 'eval_best' (value, step, metric): not written by run.keep_best; move it away" \
    "$work/foreign.log" && ok || { bad "no clear line for a foreign best.h5:"; cat "$work/foreign.log"; }; fi
cmp -s "$work/step4.h5" "$work/foreign/best.h5" && ok || bad "the foreign best.h5 was changed"
if train nokeep 1 2 --set run.keep_best=bpd; then bad "keep_best without eval_every accepted"; else
  grep -q "vdmc train: --set run.keep_best: run.keep_best bpd keeps the best evaluation, but run.eval_every is 0" \
    "$work/nokeep.log" && ok || { bad "no clear keep_best line:"; grep "vdmc train: " "$work/nokeep.log" | tail -1; }; fi

# 6. run.eval_every_images 20 with tiny's 8 images a step: 24 images at step 3, 40 at 5, 64 at 8 (the last)
img=(--set run.eval_every_images=20 --set eval.bpd_n=$N)
train img 1 8 "${img[@]}" && ok || bad "training with run.eval_every_images"
[ "$(evals img | cut -d' ' -f1 | tr '\n' ' ')" = "3 5 8 " ] && ok ||
  bad "run.eval_every_images 20: evaluations at steps $(evals img | cut -d' ' -f1 | tr '\n' ' '), not 3 5 8"
[ "$(evals img | awk '$1 == 8')" = "$(evals eval1 | awk '$1 == 8')" ] && ok ||
  bad "step 8 by images ($(evals img | awk '$1 == 8')) differs from step 8 by steps ($(evals eval1 | awk '$1 == 8'))"
f=checkpoints/step-00000008.h5
"$vdmc" compare "$work/img/$f" "$work/plain/$f" --tol 0 >"$work/cmpimg.out" 2>&1 && ok ||
  { bad "run.eval_every_images changed the training bits"; cat "$work/cmpimg.out"; }
# SIGUSR1 after step 4 stops the run at step 5, a due step: evaluated, then resumed to 8
VDMC_TRAIN_TEST_SIGNAL_AT=4 train imgstop 1 8 "${img[@]}" && grep -q "stop signal: checkpointed step 5" \
  "$work/imgstop.log" && ok || bad "the signal did not stop the run at step 5"
[ "$(evals imgstop | cut -d' ' -f1 | tr '\n' ' ')" = "3 5 " ] && ok ||
  bad "stopped at step 5: evaluations at $(evals imgstop | cut -d' ' -f1 | tr '\n' ' '), not 3 5"
train imgstop 1 8 "${img[@]}" && ok || bad "resume after the stop"
[ "$(evals imgstop)" = "$(evals img)" ] && ok ||
  bad "stopped and resumed: $(evals imgstop | tr '\n' ' '), straight: $(evals img | tr '\n' ' ')"
if train both 1 2 --set run.eval_every=2 "${img[@]}"; then bad "both cadences accepted"; else
  grep -q "^vdmc train: --set run.eval_every_images: run.eval_every_images 20 and run.eval_every 2 are both set: evaluate by images or by steps, not both (set one to 0)$" \
    "$work/both.log" && ok || { bad "no clear line for both cadences:"; cat "$work/both.log"; }
fi
[ ! -e "$work/both/checkpoints" ] && ok || bad "a checkpoint was written with both cadences set"

# 7. a bits/dim that fails mid-run stops the run after the step's checkpoint, with one line
cp "$work/data/fashion-mnist-test.h5" "$work/test_copy.h5"
VDMC_TRAIN_TEST_STOP_AT=4 "$vdmc" train "$tiny" --run "$work/swap" --set "data.train=$work/data/fashion-mnist-train.h5" \
  --set "data.test=$work/test_copy.h5" --set optim.steps=8 --set run.checkpoint_every=4 --set run.sample_every=0 \
  --set run.eval_every=2 --set eval.bpd_n=$N >"$work/swap.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(ps -o stat= -p $pid 2>/dev/null | cut -c1)" = T ] && break
  sleep 0.1
done
head -c 5000 /dev/urandom >"$work/garbage.h5" && mv "$work/garbage.h5" "$work/test_copy.h5"
kill -CONT $pid
wait $pid
rc=$?
[ $rc = 1 ] && ok || bad "data.test replaced mid-run: exit $rc, not 1"
tail -1 "$work/swap.log"
tail -1 "$work/swap.log" | grep -q "^vdmc train: step 4: the evaluation of the bits/dim (eval.bpd_n $N of data.test) failed: .*test_copy.h5.*; stopped with a checkpoint of step 4$" &&
  [ "$(grep -c "^vdmc train: step 4: the evaluation" "$work/swap.log")" = 1 ] && ok ||
  { bad "no clear line for a data.test replaced mid-run:"; tail -3 "$work/swap.log"; }
[ "$(cat "$work/swap/checkpoints/latest" 2>/dev/null)" = step-00000004.h5 ] && ok || bad "latest is not step 4"
[ "$(evals swap | cut -d' ' -f1 | tr '\n' ' ')" = "2 " ] && ok ||
  bad "evaluations of the swapped run: $(evals swap | cut -d' ' -f1 | tr '\n' ' '), not 2"

finish train_eval
