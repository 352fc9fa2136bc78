#!/usr/bin/env bash
# Damaged and crafted dataset files (docs/reliability.md "Bad files"): each case
# rewrites one part of a real 20-example dataset with file_tamper and opens it with
# vdmc info (serial), train-classifier (serial) and train (through MPI-IO). Each
# must fail at open, quickly (a file declaring 2^40 examples used to make vdmc info
# run forever), with one line naming the file and the problem; a bad label is
# named with its index before any training step.
# Usage: bash bad_datasets.sh /path/to/build/vdmc
. "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/common/tiny_run_env.sh" "$@"
TAMPER="$(vdmc_test_bin "$VDMC" file_tamper)"
[ -x "$TAMPER" ] || { echo "FAIL: $TAMPER not built"; exit 1; }
tiny="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/configs/tiny.yaml"
good="$WORK/run/test.h5"

run_one() {  # VERB FILE
  case $1 in
    info) "$VDMC" info "$2" ;;
    classifier) "$VDMC" train-classifier "$2" --out "$WORK/feat.h5" --epochs 1 ;;
    train) "$VDMC" train "$tiny" --run "$WORK/train-run" --set "data.train=$2" --set "data.test=$2" ;;
  esac
}

# every verb on FILE fails at open with one line naming it and saying WANT; nothing written
check_verbs() {  # NAME WANT FILE
  local name=$1 want=$2 file=$3 verb
  for verb in info classifier train; do
    timeout 60 bash -c "$(declare -f run_one); VDMC='$VDMC' WORK='$WORK' tiny='$tiny'; run_one $verb '$file'" \
      >"$WORK/out.log" 2>"$WORK/err.log" </dev/null
    check_one_error "$name $verb" $? "$file" "$want"
  done
  [ ! -e "$WORK/feat.h5" ] && [ ! -e "$WORK/train-run/checkpoints/latest" ] || fail "$name: output written"
}

# bad NAME EXPECTED TAMPER-OPS (';'-separated): every verb on a damaged copy, its
# checksum record rewritten after the damage, so the checks behind the record see it
bad() {
  local name=$1 want=$2 ops=$3 op
  local file="$WORK/$name.h5"
  cp "$good" "$file"
  IFS=';' read -ra op_list <<<"$ops"
  for op in "${op_list[@]}"; do
    eval "\"\$TAMPER\" \"\$file\" $op" || { fail "$name: file_tamper $op"; return; }
  done
  check_verbs "$name" "$want" "$file"
}

# stale NAME EXPECTED TAMPER-OP...: damage the record does not vouch for, refused
# before HDF5 parses a byte (io/file_record.h)
stale() {
  local name=$1 want=$2 file="$WORK/$1.h5"
  shift 2
  cp "$good" "$file"
  "$TAMPER" --stale-record "$file" "$@" || { fail "$name: file_tamper $*"; return; }
  check_verbs "$name" "$want" "$file"
}

bad huge_declared   "/images declares 70368744177664 elements" "huge images 1099511627776;huge labels 1099511627776"
bad labels_unstored "/labels declares 20 elements"             "huge labels 20"
bad label_high      "/labels[13] = 7, outside [0, num_classes = 3)" "set labels 13 7"
bad label_negative  "/labels[0] = -1, outside"                 "set labels 0 -1"
bad label_last      "/labels[19] = 3, outside"                 "set labels 19 3"
bad classes_huge    "num_classes = 2000000000, expected 1..1048576" "attr num_classes 2000000000"
bad classes_zero    "num_classes = 0, expected 1..1048576"     "attr num_classes 0"
bad version         "format_version 7"                         "attr format_version 7"

stale stale_attr      "is corrupt: CRC-32C of bytes 512-"        attr num_classes 5
stale superblock      "is corrupt: CRC-32C of bytes 512-"        flip 552
stale record_byte     "its checksum record fails its own CRC-32C" flip 20
stale cut             "is truncated: the file has"               cut 2000
stale appended        "damaged (bytes were appended)"            append 16
# format_version 1 files (no record) and the inputs that crashed HDF5 1.10.8 inside
# dataset_open before the record existed (tests/fuzz/README.md): refused unparsed
for f in "${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"/tests/fixtures/bare_datasets/*.h5; do
  cp "$f" "$WORK/bare.h5"
  check_verbs "bare $(basename "$f")" "has no checksum record (HDF5 data at byte 0: format_version 1, or not written by vdmc) but this vdmc reads format_version 2: re-create it with \`vdmc prepare\`" "$WORK/bare.h5"
done
# a pixel is not metadata: the record skips the chunks, so a flipped one still opens
cp "$good" "$WORK/pixel.h5"
"$TAMPER" --stale-record "$WORK/pixel.h5" flip-data images || fail "flip-data images"
"$VDMC" info "$WORK/pixel.h5" >/dev/null 2>"$WORK/err.log" || fail "a flipped pixel: $(cat "$WORK/err.log")"

"$VDMC" info "$good" >/dev/null 2>"$WORK/err.log" || fail "good dataset: $(cat "$WORK/err.log")"
echo "bad_datasets: $failures failed"
[ "$failures" -eq 0 ]
