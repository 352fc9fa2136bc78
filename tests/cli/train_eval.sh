#!/usr/bin/env bash
# Evaluation during training (docs/training.md "Evaluation during training"):
#   1. run.eval_every writes eval_bpd lines at steps 4 and 8 (the last), each equal to
#      `vdmc eval CHECKPOINT --bpd --n N --seed run.seed` on that step's checkpoint, at
#      P=1 (to the printed digits) and P=2 (ranks split the examples: to 1e-6);
#   2. the training bits do not depend on it: the same checkpoints without evaluation
#      (vdmc compare --tol 0: every array and extra equal, the config differing only in
#      run.eval_every);
#   3. a run resumed at step 4 evaluates step 8 to the same bits as the straight run;
#   4. eval.bpd_n beyond data.test is one line before the first step.
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
    --set run.checkpoint_every=4 --set run.keep_checkpoints=10 --set run.sample_every=0 "$@" >>"$work/$dir.log" 2>&1
}
evals() {  # run_dir: "step eval_bpd" per evaluation line, eval_bpd as printed
  grep '"eval_bpd"' "$work/$1/log.jsonl" | sed -E 's/.*"step": ([0-9]+), "eval_bpd": ([^,]+),.*/\1 \2/'
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
train plain 1 8 --set eval.bpd_n=$N && ok || bad "training without evaluation"
for s in 4 8; do
  f=checkpoints/step-0000000$s.h5
  "$vdmc" compare "$work/eval1/$f" "$work/plain/$f" --tol 0 >"$work/cmp$s.out" 2>&1
  if grep -q "^1 difference$" "$work/cmp$s.out" && [ "$(grep -c DIFFERS "$work/cmp$s.out")" = 1 ] &&
    grep -q "run.eval_every: 4 vs run.eval_every: 0  DIFFERS" "$work/cmp$s.out" &&
    grep -q "worst max rel diff 0.000e+00 (tol 0)" "$work/cmp$s.out"; then ok; else
    bad "step $s: evaluation changed the training bits"; cat "$work/cmp$s.out"; fi
done
grep -q eval_bpd "$work/plain/log.jsonl" && bad "run.eval_every 0 evaluated" || ok

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

finish train_eval
