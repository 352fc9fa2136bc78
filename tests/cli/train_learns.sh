#!/usr/bin/env bash
# Training makes progress: on the tiny config the mean loss of steps 31-40 is well
# below that of steps 1-10, and the adaptive schedule has moved away from uniform
# (the densest bin of p(lambda) above the sparsest by > 1%, read back through
# `vdmc schedule --from-checkpoint`).
set -u
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
pass=0 fail=0
"$vdmc" train "$tiny" --run "$work/run" "${data_args[@]}" --set optim.steps=40 --set run.log_every=10 \
  --set optim.batch_size=32 --set optim.warmup_images=0 --set run.sample_every=40 >"$work/log" 2>&1 || { cat "$work/log"; echo "train_learns: 0 passed, 1 failed"; exit 1; }
first=$(sed -n 1p "$work/run/log.jsonl" | sed 's/.*"loss": \([^,]*\),.*/\1/')
last=$(sed -n 4p "$work/run/log.jsonl" | sed 's/.*"loss": \([^,]*\),.*/\1/')
echo "loss steps 1-10: $first, steps 31-40: $last"
if awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.7 * a) }'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: loss did not drop by 30%"; fi
"$vdmc" schedule --from-checkpoint "$work/run" --csv --points 101 >"$work/sched.csv" 2>/dev/null
ratio=$(awk -F, 'NR > 2 { if (min == "" || $3 < min) min = $3; if ($3 > max) max = $3 } END { print max / min }' "$work/sched.csv")
echo "adaptive p(lambda) max/min: $ratio"
if awk -v r="$ratio" 'BEGIN { exit !(r > 1.01) }'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: adaptive schedule still uniform"; fi
# the sample grid of the last step was written (run.sample_every) and is a PNG
head -c 8 "$work/run/samples/step-00000040.png" 2>/dev/null | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" \
  && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no sample grid PNG"; }
# vdmc info describes the run directory's latest checkpoint and the dataset
"$vdmc" info "$work/run" | grep -q "^step: 40" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: vdmc info RUN"; }
"$vdmc" info "$work/data/fashion-mnist-train.h5" | grep -q "60000" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: vdmc info DATASET"; }
echo "train_learns: $pass passed, $fail failed"
[ $fail -eq 0 ]
