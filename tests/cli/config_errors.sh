#!/usr/bin/env bash
# Table-driven malformed configs: each must exit non-zero with one clear line that
# names the place and the problem, and never crash (exit code >= 128 = signal).
set -u
vdmc=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

expect_error() {  # name, expected substring, yaml text, [extra args...]
  local name=$1 want=$2 text=$3
  shift 3
  printf '%s' "$text" >"$tmp/$name.yaml"
  out=$("$vdmc" config "$tmp/$name.yaml" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ "$out" == *"$want"* ]] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name: rc=$rc, wanted '*$want*' on one line, got: $out"
  fi
}

expect_error unknown_key       "unknown key 'optim.learning_rate'"  $'optim:\n  learning_rate: 1e-4\n'
expect_error unknown_section   "unknown key 'trainer'"              $'trainer:\n  lr: 1\n'
expect_error negative_lr       "optim.lr: expected a number"        $'optim:\n  lr: -1e-4\n'
expect_error lr_string         "optim.lr: expected a number"        $'optim:\n  lr: fast\n'
expect_error batch_float       "optim.batch_size: expected an integer" $'optim:\n  batch_size: 6.5\n'
expect_error batch_zero        "optim.batch_size"                   $'optim:\n  batch_size: 0\n'
expect_error steps_negative    "optim.steps"                        $'optim:\n  steps: -5\n'
expect_error bool_word         "data.flip: expected true or false"  $'data:\n  flip: yes please\n'
expect_error tensorboard_word  "run.tensorboard: expected true or false" $'run:\n  tensorboard: on\n'
expect_error dropout_one       "model.dropout"                      $'model:\n  dropout: 1.5\n'
expect_error mult_scalar       "model.channel_mult: expected a list" $'model:\n  channel_mult: 2\n'
expect_error mult_bad_elem     "model.channel_mult: list elements"  $'model:\n  channel_mult: [1, two]\n'
expect_error stds_bad_elem     "optim.ema_stds: list elements must be numbers" $'optim:\n  ema_stds: [0.05, 0.5]\n'
expect_error stds_scalar       "optim.ema_stds: expected a list of numbers" $'optim:\n  ema_stds: 0.05\n'
expect_error mult_too_long     "at most 8 entries"                  $'model:\n  channel_mult: [1,1,1,1,1,1,1,1,1]\n'
expect_error param_choice      "expected one of eps|x|v|F"          $'diffusion:\n  parameterization: score\n'
expect_error precision_choice  "train.precision: unknown precision 'fp16' (expected one of fp32|bf16)" $'train:\n  precision: fp16\n'
expect_error attn_probs_choice "model.attention_probs: unknown attention_probs 'recompute' (expected one of saved|recomputed)" $'model:\n  attention_probs: recompute\n'
expect_error set_attn_probs    "model.attention_probs: unknown attention_probs 'none' (expected one of saved|recomputed)" $'optim:\n  lr: 1e-4\n' --set model.attention_probs=none
expect_error lambda_order      "lambda_min (5) must be below"       $'diffusion:\n  lambda_min: 5\n  lambda_max: -5\n'
expect_error lambda_range      "diffusion.lambda_max"               $'diffusion:\n  lambda_max: 100\n'
expect_error section_scalar    "expected a mapping of keys under optim" $'optim: 3\n'
expect_error value_mapping     "optim.lr: expected a number, got a mapping" $'optim:\n  lr: {a: 1}\n'
expect_error yaml_syntax       "YAML syntax error"                  $'optim:\n  lr: [1, 2\n'
expect_error top_list          "expected a mapping of keys"         $'- 1\n- 2\n'
expect_error zero_stage        "mpi.zero_stage"                     $'mpi:\n  zero_stage: 3\n'
expect_error progress_choice   "mpi.progress: unknown progress 'spin' (expected one of calls|thread)" $'mpi:\n  progress: spin\n'
expect_error reduce_prec_choice "mpi.reduce_precision: unknown reduce_precision 'fp16' (expected one of fp32|bf16)" $'mpi:\n  reduce_precision: fp16\n'
expect_error keys_position     ":3:3: unknown key 'optim.bogus'"    $'optim:\n  lr: 1e-4\n  bogus: 1\n'
expect_error set_unknown       "--set optim.nope=1: unknown key"    $'optim:\n  lr: 1e-4\n' --set optim.nope=1
expect_error set_bad_value     "optim.lr: expected a number"        $'optim:\n  lr: 1e-4\n' --set optim.lr=-2
expect_error set_no_equals     "expected KEY=VALUE"                 $'optim:\n  lr: 1e-4\n' --set optim.lr
expect_error nan_lr            "optim.lr"                           $'optim:\n  lr: .nan\n'
expect_error empty_train       "data.train is empty"                $'data:\n  train: ""\n'
# duplicates are refused naming both lines, never "last one wins"; one document only
expect_error dup_key           ":3:3: 'optim.lr' is given twice (first at line 2)" $'optim:\n  lr: 1e-4\n  lr: 2e-4\n'
expect_error dup_section       ":5:1: 'optim' is given twice (first at line 1)" $'optim:\n  lr: 1e-4\nmodel:\n  dropout: 0\noptim:\n  beta1: 0.8\n'
expect_error dup_flow          "'optim.lr' is given twice"          $'optim: {lr: 1e-4, lr: 2e-4}\n'
expect_error second_document   ":3:1: a second YAML document (the first starts at line 1)" $'optim:\n  lr: 1e-4\n---\noptim:\n  lr: 3e-4\n'
expect_error set_twice         "--set optim.lr given twice (arguments 3 and 5)" $'optim:\n  lr: 1e-4\n' --set optim.lr=1e-3 --set optim.lr=2e-3
expect_error set_smuggles_key  "--set optim.lr: the value sets more than one key" $'optim:\n  lr: 1e-4\n' --set 'optim.lr=1e-3, beta1: 0.5'
expect_error set_dup_inside    "the value sets more than one key"   $'optim:\n  lr: 1e-4\n' --set 'optim.lr=1e-3, lr: 2e-3'
# bounded work: 100k levels of flow nesting (23 s before) and a 2 MiB file stop early
deep="a: $(printf '%*s' 100000 '' | tr ' ' '[')$(printf '%*s' 100000 '' | tr ' ' ']')"
start=$(date +%s)
expect_error deep_nesting      ":1:19: nested deeper than 16 levels" "$deep"
[ $(( $(date +%s) - start )) -le 3 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL deep_nesting took more than 3 s"; }
expect_error too_big           "larger than 1048576 bytes"          "$(printf '# %*s\n' 2100000 '')"

# a missing file and a binary file
out=$("$vdmc" config "$tmp/does-not-exist.yaml" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ "$out" == *"cannot open config file"* ]]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL missing_file: $out"; fi
head -c 64 /dev/urandom >"$tmp/binary.yaml"; printf '\0' >>"$tmp/binary.yaml"
out=$("$vdmc" config "$tmp/binary.yaml" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL binary_file: rc=$rc $out"; fi

# a U-ViT-only key in a U-Net config; per-stage res blocks that do not match the stages
expect_error uvit_key_on_unet  "model.stage_res_blocks does not apply to model.arch unet" $'model:\n  stage_res_blocks: [1, 2, 2]\n'
uvit_cfg="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/configs/imagenet128-uvit.yaml"
out=$("$vdmc" info "$uvit_cfg" --set model.stage_res_blocks=[1,2] 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 128 ] && [[ "$out" == *"stage_res_blocks has 2 entries but model.channel_mult has 3"* ]]; then
  pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL stage_res_blocks_length: $out"; fi
base=$("$vdmc" info "$uvit_cfg" 2>&1 | grep '^parameters')
out=$("$vdmc" info "$uvit_cfg" --set model.stage_res_blocks=[1,2,3] 2>&1 | grep '^parameters'); rc=$?
if [ $rc -eq 0 ] && [ -n "$out" ] && [ "$out" != "$base" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL stage_res_blocks_good: $out"; fi

# good overrides are applied and reported in the resolved config
out=$("$vdmc" config --set optim.lr=3e-4 --set model.channel_mult=[1,2] 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"lr: 0.0003"* ]] && [[ "$out" == *"channel_mult: [1, 2]"* ]]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL good_override: $out"; fi

echo "config_errors: $pass passed, $fail failed"
[ $fail -eq 0 ]
