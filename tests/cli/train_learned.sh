#!/usr/bin/env bash
# vdmc train with VDM's learned noise schedule (diffusion.schedule learned,
# src/train/train_schedule.h): the schedule's parameters move, a 2-rank run matches
# the 1-rank run (params, EMA, Adam, the schedule's parameters and moments) to 1e-5,
# a run stopped at step 4 and resumed ends bit-identical to the straight run,
# `vdmc schedule --from-checkpoint` shows the trained schedule, sample and eval load it,
# and a non-eps parameterization is refused with one line.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
learned=(--set diffusion.schedule=learned --set diffusion.adaptive=false --set run.checkpoint_every=4)
train() {  # run_dir ranks [steps, default 8] extra-args... (a key may be set once)
  local dir=$1 np=$2 steps=8
  shift 2
  [[ "${1:-}" =~ ^[0-9]+$ ]] && { steps=$1; shift; }
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" "${learned[@]}" \
    --set optim.steps=$steps "$@" \
    >>"$work/$dir.log" 2>&1 || { bad "training $dir (P=$np)"; tail -3 "$work/$dir.log"; return 1; }
}
same() {  # name file-a file-b tol
  if "$vdmc" compare "$2" "$3" --tol "$4" >"$work/$1.cmp" 2>&1; then ok; else bad "$1 differs:"; cat "$work/$1.cmp"; fi
  grep worst "$work/$1.cmp" | sed "s/^/$1: /"
}
final=checkpoints/step-00000008.h5

train p1 1 && ok
"$vdmc" info "$work/p1/$final" 2>&1 | grep -q learned_schedule && ok || bad "no learned_schedule extra in the checkpoint"

# the trained schedule differs from the initial one
"$vdmc" schedule --from-checkpoint "$work/p1" --csv >"$work/trained.csv" 2>"$work/trained.err" && ok || bad "schedule --from-checkpoint"
"$vdmc" schedule --schedule learned --weighting sigmoid --csv >"$work/init.csv" 2>/dev/null && ok || bad "initial learned schedule"
grep -q "initial state" "$work/trained.err" && bad "trained schedule reported as initial" || ok
cmp -s <(grep -v '^#' "$work/trained.csv") <(grep -v '^#' "$work/init.csv") && bad "learned schedule did not move" || ok

# P = 2 matches P = 1
train p2 2 && same p2 "$work/p2/$final" "$work/p1/$final" 1e-5

# exact resume: stop after the step-4 checkpoint, resume to 8
train half 1 4 && train half 1 && same resume "$work/half/$final" "$work/p1/$final" 0
grep -q "resumed from .*step-00000004.h5 at step 4" "$work/half.log" && ok || bad "no resume message"

# sampling and bits/dim load the trained schedule
"$vdmc" sample "$work/p1" --n 2 --steps 4 --out "$work/s.png" >/dev/null 2>&1 && [ -s "$work/s.png" ] && ok || bad "sample of a learned-schedule run"
"$vdmc" sample "$work/p1" --n 2 --steps 4 --sampler ddpm --schedule learned --out "$work/l.png" >/dev/null 2>&1 && [ -s "$work/l.png" ] && ok || bad "ddpm on the run's learned schedule"
"$vdmc" eval "$work/p1" --bpd --n 4 --t-samples 1 >"$work/bpd.txt" 2>&1 && grep -q diffusion "$work/bpd.txt" && ok || bad "eval --bpd of a learned-schedule run"

# only the eps parameterization
out=$("$vdmc" train "$tiny" --run "$work/bad" "${data_args[@]}" "${learned[@]}" --set diffusion.parameterization=v 2>&1)
[ $? -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && grep -q "eps only" <<<"$out" && ok || bad "parameterization v not refused in one line: $out"
finish train_learned
