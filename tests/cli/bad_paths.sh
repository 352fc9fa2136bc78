#!/usr/bin/env bash
# A directory, FIFO or device where vdmc expects a file (docs/reliability.md "Bad
# files"): every reader checks the kind of its input path first, so each case exits
# non-zero (not by a signal, not by the timeout a blocked FIFO read would hit) with
# exactly one line on stderr naming the path, its role and what it is.
# Usage: bash bad_paths.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
dir="$WORK/a-dir.h5" fifo="$WORK/a-fifo.h5" dev=/dev/zero
mkdir -p "$dir" && mkfifo "$fifo"
ckpt="$WORK/run/checkpoints/$(cat "$WORK/run/checkpoints/latest")"
# prepare's inputs: an .npz directory and a FIFO named like an image
mkdir -p "$WORK/npz/val_data.npz" "$WORK/folder/cls"
mkfifo "$WORK/folder/cls/a.png" "$WORK/f.yaml"

# expect_bad NAME PATH ROLE-WORDS ARGS...: `vdmc ARGS` must name PATH and say what it is
expect_bad() {
  local name=$1 path=$2 kind=$3
  shift 3
  timeout 120 "$VDMC" "$@" >"$WORK/out.log" 2>"$WORK/err.log" </dev/null
  check_one_error "$name" $? "$path: cannot read the" "$kind"
}
D="a directory" F="a FIFO" V="a device"
expect_bad config_dir        "$dir"  "$D" config "$dir"
expect_bad config_fifo       "$fifo" "$F" config "$fifo"
expect_bad config_dev        "$dev"  "$V" config "$dev"
expect_bad info_config_fifo  "$WORK/f.yaml" "$F" info "$WORK/f.yaml"
expect_bad info_fifo         "$fifo" "$F" info "$fifo"
expect_bad info_dev          "$dev"  "$V" info "$dev"
expect_bad sample_ckpt_fifo  "$fifo" "$F" sample "$fifo" --n 1 --out "$WORK/x.png"
expect_bad eval_ckpt_dev     "$dev"  "$V" eval "$dev" --bpd
expect_bad schedule_ckpt     "$fifo" "$F" schedule --from-checkpoint "$fifo"
expect_bad compare_dir       "$dir"  "$D" compare "$dir" "$ckpt"
expect_bad compare_fifo      "$fifo" "$F" compare "$ckpt" "$fifo"
expect_bad classifier_data   "$dir"  "$D" train-classifier "$dir" --out "$WORK/feat.h5"
expect_bad fid_stats_feat    "$dir"  "$D" fid-stats "$WORK/run/test.h5" --features "$dir" --out "$WORK/s.h5"
expect_bad eval_ref          "$fifo" "$F" eval --fid --samples "$WORK/run/test.h5" --ref "$fifo" --features "$fifo"
expect_bad npz_dir           "$WORK/npz/val_data.npz" "$D" prepare imagenet64 --npz "$WORK/npz" --out "$WORK/o1"
expect_bad folder_fifo_image "$WORK/folder/cls/a.png" "$F" prepare folder "$WORK/folder" --size 8 --out "$WORK/o2"
[ ! -e "$WORK/x.png" ] && [ ! -e "$WORK/s.h5" ] || fail "an output was written for bad input"
echo "bad_paths: $failures failed"
[ "$failures" -eq 0 ]
