#!/usr/bin/env bash
# Non-finite weights are refused by every evaluator (docs/reliability.md "Bad
# files"): a checkpoint with valid checksums whose EMA weights hold NaN or an
# infinity (a run that diverged) makes vdmc sample and vdmc eval --bpd exit non-zero
# with one line naming the file, the weight and its tensor, instead of printing
# `total nan` with exit 0.
# Usage: bash nonfinite_eval.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
TAMPER="$(vdmc_test_bin "$VDMC" file_tamper)"
[ -x "$TAMPER" ] || { echo "FAIL: $TAMPER not built"; exit 1; }
good="$WORK/run/checkpoints/$(cat "$WORK/run/checkpoints/latest")"

# bad NAME INDEX VALUE EXPECTED: EMA weight INDEX set to VALUE (checksum fixed)
bad() {
  local name=$1 index=$2 value=$3 want=$4 file="$WORK/$1.h5"
  cp "$good" "$file"
  "$TAMPER" "$file" value arrays/ema "$index" "$value" fix-crc || { fail "$name: file_tamper"; return; }
  "$VDMC" compare "$good" "$file" >/dev/null 2>&1
  [ $? -eq 1 ] || fail "$name: compare does not report the changed weight"
  printf '%s|%s\n' "$want" "\"$file\" --n 2 --steps 2 --out \"$WORK/$name.png\"" | check_error_cases sample
  printf '%s|%s\n' "$want" "\"$file\" --bpd --n 4" | check_error_cases eval
  [ ! -e "$WORK/$name.png" ] || fail "$name: a grid was written"
}
bad nan_first   0     nan  "EMA weight 0 (embed.lin1.weight) is nan: the run diverged"
bad inf_middle  2000  inf  "EMA weight 2000 (in.1.res.conv1.weight) is inf"
bad ninf_last   48752 -inf "EMA weight 48752 (head.conv.bias) is -inf"
echo "nonfinite_eval: $failures failed"
[ "$failures" -eq 0 ]
