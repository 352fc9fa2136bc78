#!/usr/bin/env bash
# P-invariance: 5 steps of the tiny config with global batch 8 on P = 1, 2, 4 ranks,
# with the plain bucketed allreduce, with ZeRO-1, and with micro-batches of 3 and 1
# (gradient accumulation): params, EMA, Adam moments and
# schedule bins agree with the P = 1 run to 1e-5 relative (float summation order); ZeRO-1
# logs its all-gather as a phase of its own.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
pass=0 fail=0
run() {  # name P zero_stage [train options]
  OPENBLAS_NUM_THREADS=1 vdmc_mpirun "$2" "$vdmc" train "$tiny" --run "$work/$1" "${data_args[@]}" \
    --set mpi.zero_stage="$3" --set mpi.bucket_mb=0.01 "${@:4}" >"$work/$1.log" 2>&1 \
    || { echo "FAIL: training $1 (P=$2 zero=$3):"; tail -5 "$work/$1.log"; fail=$((fail + 1)); return 1; }
}
run p1 1 0 || { # ZeRO-1's all-gather of the weights has a phase of its own (docs/training.md, Output):
# present in every log, and at P = 2 with ZeRO-1 the time of a real exchange (> 0 on
# every rank)
ag_min() { tail -n 1 "$1" | sed -n 's/.*"allgather": {"min": \([^,]*\), .*/\1/p'; }
a0=$(ag_min "$work/p2/log.jsonl") a1=$(ag_min "$work/p2z1/log.jsonl")
if [ -n "$a0" ] && awk -v a="$a1" 'BEGIN { exit !(a != "" && a > 0) }'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: phase allgather: P=2 min '$a0', P=2 ZeRO-1 min '$a1' (want present, and > 0)"
fi
echo "train_ranks: $pass passed, $fail failed"; exit 1; }
ref="$work/p1/checkpoints/step-00000005.h5"
for cfg in "p1z1 1 1" "p2 2 0" "p2z1 2 1" "p4 4 0" "p4z1 4 1" "p1mb3 1 0 3" "p2mb1 2 0 1"; do
  set -- $cfg
  run "$1" "$2" "$3" --set optim.micro_batch="${4:-0}" || continue
  if "$vdmc" compare "$work/$1/checkpoints/step-00000005.h5" "$ref" --tol 1e-5 >"$work/$1.cmp"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL: $1 differs from P=1:"; cat "$work/$1.cmp"
  fi
  grep worst "$work/$1.cmp" | sed "s/^/$1: /"
done
grep -q '"step": 5' "$work/p1/log.jsonl" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no log.jsonl record"; }
# the logged batch loss and its spread over the batch's examples (loss_std) do not
# depend on how the batch is split over ranks, and the spread is not zero
key_of() { tail -n 1 "$2" | sed -n "s/.*\"$1\": \([^,]*\),.*/\1/p"; }
l1=$(key_of loss "$work/p1/log.jsonl") s1=$(key_of loss_std "$work/p1/log.jsonl")
l2=$(key_of loss "$work/p2/log.jsonl") s2=$(key_of loss_std "$work/p2/log.jsonl")
if awk -v a="$l1" -v b="$l2" -v c="$s1" -v d="$s2" 'function rel(x, y) { return (x > y ? x - y : y - x) / (y > 0 ? y : 1) }
     BEGIN { exit !(a != "" && c != "" && c > 0 && rel(a, b) < 1e-4 && rel(c, d) < 1e-4) }'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL: log loss/loss_std P=1 ($l1, $s1) vs P=2 ($l2, $s2)"
fi
echo "train_ranks: $pass passed, $fail failed"
[ $fail -eq 0 ]
