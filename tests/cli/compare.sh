#!/usr/bin/env bash
# vdmc compare on a checkpoint and damaged or altered copies of it (file_tamper):
# everything a checkpoint holds is compared (attributes, tensor table, config text,
# arrays, extras), a NaN is never lost from the summary, a file whose checksums do
# not match its data is an error naming it (exit 2), a difference is exit 1.
# Usage: bash compare.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
TAMPER="$(vdmc_test_bin "$VDMC" file_tamper)"
[ -x "$TAMPER" ] || { echo "FAIL: $TAMPER not built"; exit 1; }
good="$WORK/run/checkpoints/$(cat "$WORK/run/checkpoints/latest")"

# case NAME EXIT "EXPECTED LINE" "TAMPER OPS" (';'-separated, on B) [compare options]
case_() {
  local name=$1 want_rc=$2 want=$3 ops=$4 op rc
  shift 4
  local b="$WORK/$name.h5"
  cp "$good" "$b"
  if [ -n "$ops" ]; then
    IFS=';' read -ra op_list <<<"$ops"
    for op in "${op_list[@]}"; do eval "\"\$TAMPER\" \"\$b\" $op" || { fail "$name: file_tamper $op"; return; }; done
  fi
  "$VDMC" compare "$good" "$b" "$@" >"$WORK/out.log" 2>"$WORK/err.log"
  rc=$?
  if [ $rc -eq "$want_rc" ] && grep -qF -- "$want" "$WORK/out.log" "$WORK/err.log"; then
    echo "ok $name (exit $rc): $(grep -F -- "$want" "$WORK/out.log" "$WORK/err.log" | head -1)"
  else
    fail "$name: exit $rc (wanted $want_rc), wanted '$want' in: $(cat "$WORK/out.log" "$WORK/err.log")"
  fi
  if [ "$want_rc" -eq 2 ] && [ "$(grep -c . "$WORK/err.log")" -ne 1 ]; then fail "$name: not one error line"; fi
}

case_ identical     0 "compared 5 arrays: worst max rel diff 0.000e+00 (tol 0); same" ""
case_ nan_in_ema    1 "compared 5 arrays: worst max rel diff inf"         "value arrays/ema 7 nan fix-crc"
case_ nan_row       1 "arrays/ema                    48768 values  max rel diff inf  DIFFERS" "value arrays/ema 7 nan fix-crc"
case_ nan_with_tol  1 "; DIFFERENT"                                       "value arrays/ema 7 nan fix-crc" --tol 1e9
case_ nan_extra     1 "extras/adaptive_bins"                              "value extras/adaptive_bins 2 nan fix-crc"
case_ tensor_table  1 "first difference at row 4: 'embed.class.table' [4, 32] at offset 1344, decay 1 vs 'embed.class.table' [4, 32] at offset 1344, decay 0" "row 4 decay 0"
case_ tensor_name   1 "first difference at row 2"                          "row 2 name renamed"
case_ config_text   1 "config: line 29: diffusion.lambda_max: 20 vs diffusion.lambda_max: 10  DIFFERS" "config-sub 'lambda_max: 20' 'lambda_max: 10' fix-crc"
case_ config_mpi    0 "config: mpi.zero_stage: 0 vs mpi.zero_stage: 1 (how the run was executed; not a difference)" "config-sub 'zero_stage: 0' 'zero_stage: 1' fix-crc"
case_ config_reduce 1 'mpi.reduce_precision: "fp32" vs mpi.reduce_precision: "bf16"  DIFFERS' "config-sub 'reduce_precision: \"fp32\"' 'reduce_precision: \"bf16\"' fix-crc"
case_ step          1 "step: 1234 vs 99  DIFFERS"                         "attr step 99"
case_ seed          1 "seed: 7 vs 8  DIFFERS"                             "attr seed 8"
case_ world_size    0 "world_size: 1 vs 4 (written at different rank counts; not a difference)" "attr world_size 4"
case_ only_in_a     1 "extras/adaptive_bins: only in $good"               "drop extras/adaptive_bins"
case_ crc_b         2 "$WORK/crc_b.h5 is corrupt: checksum mismatch in array 'ema'" "value arrays/ema 3 nan keep-crc"
case_ config_crc_b  2 "$WORK/config_crc_b.h5 is corrupt: checksum mismatch in the config text" "config-sub 'lambda_max: 20' 'lambda_max: 10' keep-crc"
case_ bad_row_b     2 "$WORK/bad_row_b.h5 is damaged: /tensors row 0"     "row 0 ndim 99"

# errors name the file
"$VDMC" compare "$good" "$WORK/none.h5" >/dev/null 2>"$WORK/err.log" && fail "missing file accepted"
grep -qF "$WORK/none.h5: cannot open checkpoint" "$WORK/err.log" || fail "missing file: $(cat "$WORK/err.log")"
printf 'not hdf5' >"$WORK/text.h5"
"$VDMC" compare "$WORK/text.h5" "$good" >/dev/null 2>"$WORK/err.log"; rc=$?
[ $rc -eq 2 ] && grep -qF "$WORK/text.h5 is damaged or not a vdmc checkpoint: no checksum record" "$WORK/err.log" || fail "not HDF5: exit $rc $(cat "$WORK/err.log")"
echo "compare: $failures failed"
[ "$failures" -eq 0 ]
