#!/usr/bin/env bash
# vdmc export and vdmc import (docs/interop.md) on a real tiny training run:
#  1. train 2 steps, export the EMA weights as f32, bf16 and f16;
#  2. import the f32 file into a new run: its step-0 checkpoint's params and EMA equal the
#     exported weights bitwise, and `vdmc train` resumes from it for 2 steps;
#  3. bad input: one error line on stderr, a non-zero exit, no crash (wrong config for
#     the weights: shape, missing and extra tensors; corrupt file; output-policy refusals).
# Usage: bash export.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
SRC="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
TINY="$SRC/tests/configs/tiny.yaml"
CMP="$(vdmc_test_bin "$VDMC" test_export)"
"$VDMC" prepare fashion-mnist --out "$WORK/data" > /dev/null || { echo "FAIL: vdmc prepare fashion-mnist"; exit 1; }
data=(--set "data.train=$WORK/data/fashion-mnist-train.h5" --set "data.test=$WORK/data/fashion-mnist-test.h5")

"$VDMC" train "$TINY" --run "$WORK/a" "${data[@]}" --set optim.steps=2 > "$WORK/train.log" 2>&1 ||
  { cat "$WORK/train.log"; fail "training the run to export"; }
for dt in f32 bf16 f16; do
  "$VDMC" export "$WORK/a" --out "$WORK/a-$dt.safetensors" --dtype "$dt" || fail "export --dtype $dt"
done
[ "$(stat -c %s "$WORK/a-bf16.safetensors")" -lt "$(stat -c %s "$WORK/a-f32.safetensors")" ] || fail "bf16 is not smaller"

# import -> the new run's params and EMA are the exported weights, bit for bit
"$VDMC" import "$WORK/a-f32.safetensors" --config "$TINY" --run "$WORK/b" "${data[@]}" > "$WORK/import.log" 2>&1 ||
  { cat "$WORK/import.log"; fail "import"; }
[ -f "$WORK/b/checkpoints/step-00000000.h5" ] || fail "import wrote no step-0 checkpoint"
for w in params ema; do
  "$VDMC" export "$WORK/b" --weights "$w" --out "$WORK/b-$w.safetensors" > /dev/null || fail "export of the imported $w"
  "$CMP" compare "$WORK/b-$w.safetensors" "$WORK/a-f32.safetensors" 0 --all > "$WORK/cmp.log" ||
    { cat "$WORK/cmp.log"; fail "imported $w differ from the exported weights"; }
done
# a bf16 file imports too, widened exactly: its params are the bf16 values
"$VDMC" import "$WORK/a-bf16.safetensors" --config "$TINY" --run "$WORK/b16" "${data[@]}" > /dev/null 2>&1 || fail "import bf16"
"$VDMC" export "$WORK/b16" --weights params --out "$WORK/b16.safetensors" --dtype bf16 > /dev/null || fail "export of the bf16 import"
"$CMP" compare "$WORK/b16.safetensors" "$WORK/a-bf16.safetensors" 0 --all > "$WORK/cmp.log" ||
  { cat "$WORK/cmp.log"; fail "a bf16 import does not give back the same bf16 weights"; }
"$VDMC" train "$TINY" --run "$WORK/b" "${data[@]}" --set optim.steps=2 > "$WORK/resume.log" 2>&1 ||
  { cat "$WORK/resume.log"; fail "training from the imported run"; }
grep -q "resumed from .*step-00000000.h5 at step 0" "$WORK/resume.log" || { cat "$WORK/resume.log"; fail "train did not resume from the import"; }
[ -f "$WORK/b/checkpoints/step-00000002.h5" ] || fail "no step-2 checkpoint after resuming the imported run"

# truncated files: inside the header, and 100 bytes into the data
head -c 3000 "$WORK/a-f32.safetensors" > "$WORK/trunc.safetensors"
header_len=$(od -An -t u8 -N8 "$WORK/a-f32.safetensors" | tr -d ' ')
head -c $((8 + header_len + 100)) "$WORK/a-f32.safetensors" > "$WORK/short.safetensors"
mkdir -p "$WORK/a/out"
check_error_cases export <<EOF2
--out FILE are required|"$WORK/a"
--dtype: 'fp8' is not f32, bf16 or f16|"$WORK/a" --out "$WORK/x.safetensors" --dtype fp8
--weights: 'adam_m' is not ema or params|"$WORK/a" --out "$WORK/x.safetensors" --weights adam_m
No such file|"$WORK/nope" --out "$WORK/x.safetensors"
is a directory|"$WORK/a" --out "$WORK/a/out"
checkpoints|"$WORK/a" --out "$WORK/a/checkpoints/x.safetensors"
EOF2
check_error_cases import <<EOF2
--config CONFIG.yaml are required|"$WORK/a-f32.safetensors" --run "$WORK/c"
--run DIR is required|"$WORK/a-f32.safetensors" --config "$TINY"
tensor 'embed.lin1.weight' is [32, 8] in the file but [128, 32] in the config's model|"$WORK/a-f32.safetensors" --config "$TINY" --run "$WORK/c" --set model.base_channels=32
tensor 'in.1.attn.gn.weight' of the config's model is missing from the file|"$WORK/a-f32.safetensors" --config "$TINY" --run "$WORK/c" --set model.attn_resolutions=[28,14]
tensor 'embed.class.table' is not in the config's model|"$WORK/a-f32.safetensors" --config "$TINY" --run "$WORK/c" --set model.num_classes=0
trunc.safetensors: header length: $header_len bytes, but the file is shorter|"$WORK/trunc.safetensors" --config "$TINY" --run "$WORK/c"
(truncated?)|"$WORK/short.safetensors" --config "$TINY" --run "$WORK/c"
already has checkpoints: import starts a new run|"$WORK/a-f32.safetensors" --config "$TINY" --run "$WORK/b" ${data[*]}
EOF2
[ ! -e "$WORK/c" ] || fail "a refused import created $WORK/c"
[ ! -e "$WORK/x.safetensors" ] || fail "a failed export left $WORK/x.safetensors"

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "export.sh: all passed"
