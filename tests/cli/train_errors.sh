#!/usr/bin/env bash
# Table-driven bad input to `vdmc train`: each case exits non-zero (not by a signal)
# with its expected message, and leaves no checkpoint behind.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
pass=0 fail=0
expect() {  # name ranks expected-substring args...
  local name=$1 np=$2 want=$3
  shift 3
  # a key may be set once: the case's own --set data.train replaces the default one
  local base=() i
  for ((i = 0; i < ${#data_args[@]}; i += 2)); do
    [[ " $* " == *" ${data_args[i+1]%%=*}="* ]] || base+=("${data_args[i]}" "${data_args[i+1]}")
  done
  out=$(vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$name" "${base[@]}" "$@" 2>&1)
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ "$out" == *"$want"* ]] && [ ! -e "$work/$name/checkpoints/latest" ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAIL $name: rc=$rc, wanted '*$want*', got:"; echo "$out" | tail -3
  fi
}
expect batch_ranks   2 "optim.batch_size 7 is not divisible by the 2 ranks" --set optim.batch_size=7
expect no_dataset    1 "cannot open"                          --set data.train=$work/none.h5
expect not_hdf5      1 "data.train from"                      --set data.train=$tiny
expect resolution    1 "model.resolution 32 does not match"   --set model.resolution=32
expect channels      1 "model.in_channels 3 does not match"   --set model.in_channels=3
expect classes       1 "model.num_classes 5 does not match"   --set model.num_classes=5
expect depth         1 "resolution"                           --set "model.channel_mult=[1,2,2,2]"
expect heads         1 "head"                                 --set model.head_channels=5
expect groups        1 "group"                                --set model.norm_groups=3
expect bad_schedule  1 "diffusion.schedule"                   --set diffusion.schedule=quadratic --set diffusion.adaptive=false
expect bad_weighting 1 "diffusion.weighting"                  --set diffusion.weighting=heavy
expect bad_resume    1 "nothing.h5"                             --resume $work/nothing.h5
expect unknown_opt   1 "unknown option '--lr'"                --lr 3
expect neg_lr        1 "optim.lr: expected a number"          --set optim.lr=-1
expect bad_decay     1 "optim.lr_decay"                       --set optim.lr_decay=linear
expect decay_min     1 "optim.lr_min 0.5 must be at most"     --set optim.lr_decay=cosine --set optim.lr_min=0.5
# the same checks hold on every rank count: no rank hangs or crashes
expect batch_ranks4  4 "not divisible by the 4 ranks"         --set optim.batch_size=6
expect no_dataset2   2 "cannot open"                          --set data.train=$work/none.h5
echo "train_errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
