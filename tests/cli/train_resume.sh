#!/usr/bin/env bash
# Exact resume (docs/design.md, Determinism by construction): a run stopped by SIGUSR1 at
# step 5, or killed with -9 after its step-6 checkpoint, then resumed to step 12,
# ends bit-identical to a straight 12-step run; resuming at another rank count
# (2 -> 1, 1 -> 2, 2 -> 4) matches to 1e-5; under ZeRO-1 at P=2 (each rank loads its
# shard of the Adam moments and the rest whole) and with a cosine lr decay a resume is
# bit-identical too. --resume none refuses a used run dir.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
train() {  # run_dir ranks [steps] extra-args... (a key may be set once: steps default 12)
  local dir=$1 np=$2 steps=12
  shift 2
  [[ "${1:-}" =~ ^[0-9]+$ ]] && { steps=$1; shift; }
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" \
    --set optim.steps=$steps --set run.checkpoint_every=6 "$@" >>"$work/$dir.log" 2>&1
}
same() {  # name file-a file-b tol
  if "$vdmc" compare "$2" "$3" --tol "$4" >"$work/$1.cmp" 2>&1; then ok; else bad "$1 differs:"; cat "$work/$1.cmp"; fi
  grep worst "$work/$1.cmp" | sed "s/^/$1: /"
}
final=checkpoints/step-00000012.h5

train straight 1 || bad "straight run"
[ -f "$work/straight/$final" ] || bad "no final checkpoint"

# 1. SIGUSR1 arrives after step 5; the flag is agreed on inside step 6 (with the
#    metrics), so the run checkpoints step 6, exits 0, and resumes from there
VDMC_TRAIN_TEST_SIGNAL_AT=5 train sig 1 && ok || bad "SIGUSR1 run did not exit 0"
[ "$(cat "$work/sig/checkpoints/latest")" = step-00000006.h5 ] && [ ! -f "$work/sig/$final" ] && ok || bad "SIGUSR1 did not checkpoint step 6 and stop"
grep -q "stop signal: checkpointed step 6" "$work/sig.log" && ok || bad "no stop message"
train sig 1 && ok || bad "resume after SIGUSR1"
grep -q "resumed from .*step-00000006.h5 at step 6" "$work/sig.log" && ok || bad "no resume message"
same sigusr1 "$work/sig/$final" "$work/straight/$final" 0

# 2. kill -9 after the step-6 checkpoint, then resume
VDMC_TRAIN_TEST_STOP_AT=6 "$vdmc" train "$tiny" --run "$work/kill" "${data_args[@]}" --set optim.steps=12 \
  --set run.checkpoint_every=6 >>"$work/kill.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(ps -o stat= -p $pid 2>/dev/null | cut -c1)" = T ] && break
  sleep 0.1
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
[ "$(cat "$work/kill/checkpoints/latest" 2>/dev/null)" = step-00000006.h5 ] && ok || bad "latest is not step 6 after kill -9"
train kill 1 && ok || bad "resume after kill -9"
same kill9 "$work/kill/$final" "$work/straight/$final" 0

# 3. resume at another rank count
train r21 2 6 && train r21 1 && same resume_2to1 "$work/r21/$final" "$work/straight/$final" 1e-5 || bad "2 -> 1"
train r12 1 6 && train r12 2 && same resume_1to2 "$work/r12/$final" "$work/straight/$final" 1e-5 || bad "1 -> 2"
train r24 2 6 && train r24 4 && same resume_2to4 "$work/r24/$final" "$work/straight/$final" 1e-5 || bad "2 -> 4"

# 3b. ZeRO-1 at P=2: 6 steps, resumed to 12, against a straight ZeRO-1 run at P=2
train z1straight 2 --set mpi.zero_stage=1 || bad "ZeRO-1 straight run"
train z1 2 6 --set mpi.zero_stage=1 && train z1 2 --set mpi.zero_stage=1 && ok || bad "ZeRO-1 6 steps, then resumed"
same resume_zero1 "$work/z1/$final" "$work/z1straight/$final" 0

# 3c. the cosine learning-rate decay is a function of the step: a run stopped at step 6
#     and resumed ends bit-identical, and the logged rates follow docs/optim.md's formula
cos=(--set optim.lr_decay=cosine --set optim.lr_min=1e-4)
train cos_straight 1 "${cos[@]}" && VDMC_TRAIN_TEST_SIGNAL_AT=5 train cos_sig 1 "${cos[@]}" && train cos_sig 1 "${cos[@]}" &&
  same cosine_resume "$work/cos_sig/$final" "$work/cos_straight/$final" 0 || bad "cosine decay runs"
python3 - "$work/cos_straight/log.jsonl" <<'PY' && ok || bad "cosine lr values"
import json, math, sys
# tiny.yaml: lr 1e-3, warmup 16 images, batch 8, and 12 steps: decay_end 96 images
lr = {r["step"]: r["lr"] for r in map(json.loads, open(sys.argv[1])) if "lr" in r}
def want(step):
    x = 8.0 * step
    if x < 16: return 1e-3 * x / 16
    return 1e-4 + (1e-3 - 1e-4) * 0.5 * (1 + math.cos(math.pi * (x - 16) / (96 - 16)))
bad = [(s, lr[s], want(s)) for s in sorted(lr) if abs(lr[s] - want(s)) > 1e-6 * want(s)]
assert len(lr) >= 12 and not bad and abs(lr[12] - 1e-4) < 1e-12, (len(lr), bad)
PY

# 4. --resume none on a directory with checkpoints is refused, and nothing changes
before=$(cat "$work/straight/checkpoints/latest")
if train straight 1 --resume none; then bad "--resume none accepted a used run dir"; else
  grep -q "already has checkpoints" "$work/straight.log" && ok || bad "no clear --resume none message"; fi
[ "$(cat "$work/straight/checkpoints/latest")" = "$before" ] && ok || bad "latest changed"

finish train_resume
