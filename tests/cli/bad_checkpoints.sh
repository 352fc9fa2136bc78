#!/usr/bin/env bash
# Damaged and crafted checkpoints (docs/reliability.md "Bad files"): each case
# rewrites one field of a real checkpoint with file_tamper and runs every reader of
# checkpoints on it (vdmc info, sample, eval --bpd, schedule --from-checkpoint and
# train --resume). Each must exit non-zero (no signal: no crash, no ASan report)
# with exactly one line on stderr naming the file and the bad field. Checksums are
# verified before the data is used: a tampered config never reaches the schedule.
# Usage: bash bad_checkpoints.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
TAMPER="$(vdmc_test_bin "$VDMC" file_tamper)"
[ -x "$TAMPER" ] || { echo "FAIL: $TAMPER not built"; exit 1; }
good="$WORK/run/checkpoints/$(cat "$WORK/run/checkpoints/latest")"

# A 1-step training run of tests/configs/tiny.yaml on Fashion-MNIST: its checkpoint
# is what train --resume reads.
tiny="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/configs/tiny.yaml"
"$VDMC" prepare fashion-mnist --out "$WORK/data" >/dev/null || fail "prepare fashion-mnist"
train_args=(--set "data.train=$WORK/data/fashion-mnist-train.h5" --set "data.test=$WORK/data/fashion-mnist-test.h5")
"$VDMC" train "$tiny" --run "$WORK/trained" "${train_args[@]}" --set optim.steps=1 >"$WORK/train.log" 2>&1 ||
  { cat "$WORK/train.log"; fail "1-step training run"; }
trained="$WORK/trained/checkpoints/step-00000001.h5"
# A format_version 1 checkpoint (no checksum record) written by the vdmc before the
# record (tests/fixtures/format_v1/make.sh): what `vdmc upgrade` reads.
v1="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/fixtures/format_v1/run/checkpoints/step-00000003.h5"

# run_one CASE VERB FILE: the command line of one reader of FILE
run_one() {
  local file=$3
  case $2 in
    info) "$VDMC" info "$file" ;;
    sample) "$VDMC" sample "$file" --n 2 --steps 2 --out "$WORK/$1.png" ;;
    eval) "$VDMC" eval "$file" --bpd --n 2 ;;
    schedule) "$VDMC" schedule --from-checkpoint "$file" --csv ;;
    resume) "$VDMC" train "$tiny" --run "$WORK/resume-$1" "${train_args[@]}" --set optim.steps=2 --resume "$file" ;;
    upgrade) "$VDMC" upgrade "$file" ;;
  esac
}

# bad NAME "VERBS" "EXPECTED" [--stale-record] TAMPER-ARGS...: damages a copy of the
# checkpoint (the trained one for `resume`, the format_version 1 one for `upgrade`,
# the tiny run's for the others) and runs each verb on it. file_tamper rewrites the
# whole-file checksum record after the damage (the inner checks must catch it) unless
# --stale-record (the record must); a version 1 file has none to rewrite. A refused
# upgrade must leave the file as it was and write nothing next to it.
bad() {
  local name=$1 verbs=$2 want=$3 verb file src stale=
  shift 3
  [ "$1" = --stale-record ] && { stale=$1; shift; }
  for verb in $verbs; do
    src=$good
    [ "$verb" = resume ] && src=$trained
    [ "$verb" = upgrade ] && src=$v1
    file="$WORK/$name-$verb.h5"
    cp "$src" "$file"
    "$TAMPER" $stale "$file" "$@" || { fail "$name: file_tamper $*"; continue; }
    cp "$file" "$WORK/before.h5"
    timeout 300 bash -c "$(declare -f run_one); VDMC='$VDMC' WORK='$WORK' tiny='$tiny'; \
      train_args=($(printf '%q ' "${train_args[@]}")); run_one '$name' '$verb' '$file'" \
      >"$WORK/out.log" 2>"$WORK/err.log" </dev/null
    check_one_error "$name $verb" $? "$file" "$want"
    if [ "$verb" = upgrade ]; then
      cmp -s "$file" "$WORK/before.h5" || fail "$name upgrade: the refused file changed"
      ls "$WORK" | grep -q -e "^format-v1" -e "$name-$verb.h5.tmp" && fail "$name upgrade: left $(ls "$WORK")"
    fi
  done
}

ALL="info sample eval resume"
# /tensors rows (class 1: memory safety)
bad ndim_99       "$ALL" "ndim 99, expected 1..4"                 row 0 ndim 99
bad ndim_0        "$ALL" "ndim 0, expected 1..4"                  row 3 ndim 0
bad ndim_negative "info sample" "ndim -7, expected 1..4"          row 3 ndim -7
bad shape_huge    "$ALL" "larger than the"                        row 0 shape0 1000000000000000
bad shape_zero    "info sample" "is empty or larger"              row 2 shape0 0
bad offset_past   "$ALL" "runs past the"                          row 1 offset 1000000000000
bad offset_wrap   "info eval" "runs past the"                     row 1 offset 18446744073709551615
bad overlap       "info sample" "overlaps the previous tensor"    row 1 offset 0
bad name_empty    "info eval" "name is empty"                     row 4 name ""
bad decay         "info sample" "decay flag 7"                    row 0 decay 7
# root attributes
bad step_negative "$ALL schedule" "'step' is -1"                  attr step -1
bad images_neg    "info sample schedule" "'images_seen' is -5"    attr images_seen -5
bad world_zero    "$ALL schedule" "'world_size' is 0"             attr world_size 0
bad version       "$ALL schedule" "format_version 99"             attr format_version 99
bad total_zero    "info eval schedule" "'total' is 0"             attr total 0
bad total_large   "info sample" "48769"                           attr total 48769
# dataset sizes against what the file stores (a 20 KB file declaring terabytes)
bad config_huge   "$ALL schedule" "declares 1000000000 elements"  huge config 1000000000
bad tensors_huge  "info sample" "declares 1000000000000 elements" huge tensors 1000000000000
bad ema_huge      "info sample eval" "declares 1000000000000 elements" huge arrays/ema 1000000000000
bad no_config     "info sample schedule" "no dataset 'config'"    drop config
# checksums before use (class 3): a tampered config is never parsed
bad config_crc    "$ALL schedule" "checksum mismatch in the config text" config-sub "lambda_max: 20" "lambda_max: 10" keep-crc
bad bins_crc      "schedule sample info" "checksum mismatch in extra 'adaptive_bins'" value extras/adaptive_bins 3 nan keep-crc
bad ema_crc       "sample eval info" "checksum mismatch in array 'ema'" value arrays/ema 5 nan keep-crc
# the whole-file checksum record, checked before HDF5 reads a byte of the file
bad sum_truncated "$ALL schedule" "is truncated: the file has 5000 bytes" --stale-record cut 5000
bad sum_metadata  "$ALL schedule" "is corrupt: CRC-32C of bytes 512-"  --stale-record flip 600
bad sum_record    "$ALL schedule" "fails its own CRC-32C"             --stale-record flip 20
bad sum_magic     "sample eval resume schedule" "no checksum record at byte 0" --stale-record flip 0
# info tells kinds apart by the first bytes: neither the record nor HDF5's signature
bad sum_magic_info "info" "not an HDF5 file (or truncated/corrupted)"  --stale-record flip 0
bad sum_data      "$ALL schedule" "is corrupt: CRC-32C of bytes 512-"  --stale-record flip-data arrays/ema
bad sum_length    "$ALL schedule" "bytes were appended"               --stale-record append 16
bad sum_version1  "$ALL schedule" 'has no checksum record (HDF5 data at byte 0: format_version 1, or not written by vdmc) but this vdmc reads format_version 2: run `vdmc upgrade ' legacy
# the same damage behind a refreshed record still meets the inner checks
bad cut_resealed  "info sample schedule" "cannot be opened"                 cut 5000
bad data_resealed "sample eval info" "checksum mismatch in array 'ema'"     flip-data arrays/ema
# vdmc upgrade reads a format_version 1 file with the version 1 rules: every field
# validated, every crc32 verified, before anything is written
bad v1_data       "upgrade" "checksum mismatch in array 'ema'"     flip-data arrays/ema
bad v1_config_crc "upgrade" "checksum mismatch in the config text" config-sub "lambda_max: 20" "lambda_max: 10" keep-crc
bad v1_bins_crc   "upgrade" "checksum mismatch in extra 'adaptive_bins'" value extras/adaptive_bins 3 nan keep-crc
bad v1_ndim       "upgrade" "ndim 99, expected 1..4"               row 0 ndim 99
bad v1_offset     "upgrade" "runs past the"                        row 1 offset 1000000000000
bad v1_step       "upgrade" "'step' is -1"                         attr step -1
bad v1_version    "upgrade" "must have format_version 1"           attr format_version 3
bad v1_ema_huge   "upgrade" "declares 1000000000000 elements"      huge arrays/ema 1000000000000
bad v1_cut        "upgrade" "cannot be opened (truncated or not HDF5?)" cut 5000
bad v1_magic      "upgrade" "is not a vdmc checkpoint: neither a checksum record nor HDF5's signature" flip 0
# a format_version 2 file is left alone (exit 0, one line); not a checkpoint: one line
cp "$good" "$WORK/current.h5"
"$VDMC" upgrade "$WORK/current.h5" >"$WORK/out.log" 2>"$WORK/err.log" && [ ! -s "$WORK/err.log" ] &&
  grep -q "is format_version 2 already: left as it is" "$WORK/out.log" && cmp -s "$good" "$WORK/current.h5" ||
  fail "upgrade of a format_version 2 file: $(cat "$WORK/out.log" "$WORK/err.log")"
"$VDMC" upgrade "$WORK/data/fashion-mnist-test.h5" >"$WORK/out.log" 2>"$WORK/err.log"
check_one_error "upgrade dataset" $? "fashion-mnist-test.h5" "is a vdmc dataset file, not a checkpoint: nothing to upgrade"
"$VDMC" upgrade "$WORK" >"$WORK/out.log" 2>"$WORK/err.log"
check_one_error "upgrade no run" $? "$WORK" "no committed checkpoint"
mkfifo "$WORK/fifo.h5"
"$VDMC" upgrade "$WORK/fifo.h5" >"$WORK/out.log" 2>"$WORK/err.log"
check_one_error "upgrade fifo" $? "$WORK/fifo.h5" "not a regular file"
mkdir -p "$WORK/taken/format-v1"
cp "$v1" "$WORK/taken/s.h5"
echo other >"$WORK/taken/format-v1/s.h5"
"$VDMC" upgrade "$WORK/taken/s.h5" >"$WORK/out.log" 2>"$WORK/err.log"
check_one_error "upgrade backup taken" $? "$WORK/taken/format-v1/s.h5" "that name is taken by another file"
cmp -s "$v1" "$WORK/taken/s.h5" || fail "upgrade backup taken: the file changed"

# the untouched checkpoint still works with every reader
for verb in info sample eval schedule; do
  run_one good "$verb" "$good" >/dev/null 2>"$WORK/err.log" || fail "good checkpoint, $verb: $(cat "$WORK/err.log")"
done
echo "bad_checkpoints: $failures failed"
[ "$failures" -eq 0 ]
