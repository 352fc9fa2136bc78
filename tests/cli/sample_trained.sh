#!/usr/bin/env bash
# The checkpoint contract end to end: a real `vdmc train` run (tiny config, 2 steps,
# adaptive schedule, 10 classes, on Fashion-MNIST) is sampled with guidance and
# evaluated in bits/dim from its run directory, so a change in what the trainer saves
# (array names, adaptive bins, config text) breaks this test and not a user's run.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1

"$vdmc" train "$tiny" --run "$work/run" "${data_args[@]}" --set optim.steps=2 --set run.checkpoint_every=2 \
  > "$work/train.log" 2>&1 || { cat "$work/train.log"; fail "training the tiny run"; }
vdmc_mpirun 2 "$vdmc" sample "$work/run" --n 3 --steps 2 --guidance 1 --h5 "$work/s.h5" --out "$work/s.png" \
  > "$work/sample.log" 2>&1 || { cat "$work/sample.log"; fail "vdmc sample of the trained run"; }
grep -h "img/s" "$work/sample.log"
"$vdmc" info "$work/s.h5" > "$work/info.log" 2>&1 || { cat "$work/info.log"; fail "vdmc info of the samples"; }
grep -q "28" "$work/info.log" || fail "samples are not 28x28"
vdmc_mpirun 2 "$vdmc" eval "$work/run" --bpd --n 6 --t-samples 2 > "$work/eval.log" 2> "$work/eval.err" ||
  { cat "$work/eval.err"; fail "vdmc eval --bpd of the trained run"; }
cat "$work/eval.log"
awk '$1 == "total" && $2 > 0.5 && $2 < 100 {ok = 1} END {exit !ok}' "$work/eval.log" ||
  fail "bits/dim of the trained run is not a plausible number"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "sample_trained.sh: all passed"
