#!/usr/bin/env bash
# model.attention_probs (saved | recomputed, docs/precision.md) trades memory for time
# and changes no bit, in training, on the tiny config:
#  1. 8 steps with each setting give bit-identical checkpoints (`vdmc compare --tol 0`,
#     which shows the key as how the run was executed, not a difference):
#     the tiny U-Net and a U-ViT version of it (2 transformer blocks of width 16, 2
#     heads), fp32 and bf16; the start line names the setting, and recomputing reports
#     fewer activation bytes per image;
#  2. the key can change at a resume: saved up to a SIGUSR1 stop (checkpoint at step 4),
#     recomputed from there, ends on the straight saved run's bits (and the resumed leg
#     says recomputed);
#  3. a bad value is one line naming the key and the allowed values, exit non-zero.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
# the tiny U-Net, and a U-ViT version of it (the U-Net-only keys left out)
unet=$tiny
uvit=$work/tiny-uvit.yaml
grep -v -e '^  attn_resolutions:' -e '^  head_channels:' "$tiny" >"$uvit"
sed -i 's/^model:$/model:\n  arch: uvit\n  transformer_width: 16\n  transformer_depth: 2\n  transformer_heads: 2\n  transformer_mlp_ratio: 2/' "$uvit"
train() {  # config run_dir extra-args...
  local cfg=$1 dir=$2
  shift 2
  vdmc_mpirun 1 "$vdmc" train "$cfg" --run "$work/$dir" "${data_args[@]}" --set optim.steps=8 \
    --set run.checkpoint_every=4 --set run.sample_every=0 "$@" >>"$work/$dir.log" 2>&1
}
# A (recomputed) and B (saved): every array and extra the same bits, and the key shown
# as how the run was executed, not a difference (io/checkpoint_compare.c).
same_bits() {  # name file-a file-b
  if "$vdmc" compare "$2" "$3" --tol 0 >"$work/$1.cmp" 2>&1 \
     && grep -q 'model.attention_probs: "recomputed" vs model.attention_probs: "saved" (how the run was executed' "$work/$1.cmp"; then
    ok
  else
    bad "$1 differs:"; cat "$work/$1.cmp"
  fi
}
# activation MB per image from the start line
act_mb() { sed -n 's/.*attention probabilities .* (model.attention_probs), \([0-9.]*\) MB.*/\1/p' "$1" | head -1; }
final=checkpoints/step-00000008.h5

# 1. both settings, both architectures, both precisions
for arch in unet uvit; do
  for prec in fp32 bf16; do
    cfg=$unet
    [ $arch = uvit ] && cfg=$uvit
    name=$arch-$prec
    train "$cfg" "$name-saved" --set train.precision=$prec \
      && train "$cfg" "$name-recomputed" --set train.precision=$prec --set model.attention_probs=recomputed \
      || { bad "$name: runs"; continue; }
    same_bits "$name" "$work/$name-recomputed/$final" "$work/$name-saved/$final"
    grep -q "attention probabilities saved for backward" "$work/$name-saved.log" && ok || bad "$name: saved run does not say so"
    grep -q "attention probabilities recomputed for backward" "$work/$name-recomputed.log" && ok \
      || bad "$name: recomputing run does not say so"
    s=$(act_mb "$work/$name-saved.log") r=$(act_mb "$work/$name-recomputed.log")
    echo "$name: activations per image $s MB saved, $r MB recomputed"
    awk -v s="$s" -v r="$r" 'BEGIN { exit !(s != "" && r != "" && r < s) }' && ok || bad "$name: $r MB not below $s MB"
  done
done

# 2. saved -> recomputed at a resume: the same bits as the straight saved run
VDMC_TRAIN_TEST_SIGNAL_AT=3 train "$unet" switch && train "$unet" switch --set model.attention_probs=recomputed \
  || bad "switch runs"
grep -q "resumed from .*step-00000004.h5 at step 4" "$work/switch.log" && ok || bad "no resume at step 4"
[ "$(grep -c 'attention probabilities saved for backward' "$work/switch.log")" = 1 ] \
  && [ "$(grep -c 'attention probabilities recomputed for backward' "$work/switch.log")" = 1 ] && ok \
  || bad "the legs do not say saved, then recomputed"
same_bits switch "$work/switch/$final" "$work/unet-fp32-saved/$final"

# 3. a bad value
out=$("$vdmc" train "$tiny" --run "$work/bad" "${data_args[@]}" --set model.attention_probs=maybe 2>&1 >/dev/null)
rc=$?
want="model.attention_probs: unknown attention_probs 'maybe' (expected one of saved|recomputed)"
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ "$out" == *"$want"* ]] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
  ok
else
  bad "bad value: rc=$rc, wanted '*$want*' on one line, got: $out"
fi
[ -e "$work/bad" ] && bad "a refused config left a run directory" || ok

finish train_attention_probs
