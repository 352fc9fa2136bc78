#!/usr/bin/env bash
# TensorBoard event files of `vdmc train` (docs/training.md "TensorBoard"), read by an
# independent reader (tests/cli/tensorboard_check.py: its own TFRecord framing and
# CRC-32C, python3-protobuf with a hand-written descriptor):
#   1. 8 steps, then a resume from the step-4 checkpoint that replays steps 5..8: no
#      step is written twice (and no new file appears);
#   2. a resume on 2 ranks stopped by SIGUSR1 at step 10, the last record of its file
#      cut in half (a kill -9 mid-write), a resume to 12: the cut file is untouched,
#      the reader reads every whole record, TensorBoard's order has no repeated step;
#   3. every scalar equals log.jsonl's value, every image is the sample grid's PNG,
#      the density histograms match `vdmc schedule --from-checkpoint`;
#   4. the checker itself fails on a flipped byte and on a changed log.jsonl value;
#   5. run.tensorboard: false writes nothing; RUN/tb that is a file is one clear line;
#   6. (root) RUN/tb on a full disk: one warning line, training and checkpoints go on.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
SRC="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}"
check="$SRC/tests/cli/tensorboard_check.py"
if ! /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
  echo "FAIL: /usr/bin/python3 has no google.protobuf: install python3-protobuf (jobs/deps.sh)"
  exit 1
fi
train() {  # run_dir ranks steps extra-args...
  local dir=$1 np=$2 steps=$3
  shift 3
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps="$steps" \
    --set run.checkpoint_every=4 --set run.sample_every=4 --set run.keep_checkpoints=10 \
    --set run.eval_every=3 --set eval.bpd_n=8 "$@" >>"$work/$dir.log" 2>&1
}
files() { find "$work/run/tb" -name '*tfevents*' | sort; }

# 1. replayed steps are not written again
train run 1 8 && ok || bad "first run"
[ "$(files | wc -l)" = 1 ] && ok || bad "the first run did not write one event file: $(files)"
train run 1 8 --resume "$work/run/checkpoints/step-00000004.h5" && ok || bad "resume from step 4"
[ "$(grep -c '"step": 5,' "$work/run/log.jsonl")" = 2 ] && ok || bad "log.jsonl does not hold step 5 twice"
[ "$(files | wc -l)" = 1 ] && ok || bad "a replay of steps already in RUN/tb wrote a new file: $(files)"

# 2. two ranks (rank 0 writes), SIGUSR1, a cut record, another resume
VDMC_TRAIN_TEST_SIGNAL_AT=9 train run 2 12 && ok || bad "2-rank resume stopped by SIGUSR1"
grep -q "stop signal: checkpointed step 10" "$work/run.log" && ok || bad "no stop at step 10"
[ "$(files | wc -l)" = 2 ] && ok || bad "the 2-rank process did not write a second file: $(files)"
second=$(files | tail -1)
/usr/bin/python3 "$check" cut "$second" >"$work/cut.json" && ok || bad "cut the last record"
echo "cut: $(cat "$work/cut.json") of $(basename "$second")"
grep -q '"step": 10' "$work/cut.json" && ok || bad "the last record is not step 10's"
sum_before=$(sha256sum <"$second")
train run 1 12 && ok || bad "resume after the cut"
grep -q "warning: .*$(basename "$second"): record .*: the file ends inside a record" "$work/run.log" && ok ||
  bad "no warning line about the cut record"
[ "$(sha256sum <"$second")" = "$sum_before" ] && ok || bad "vdmc changed an earlier event file"
[ "$(files | wc -l)" = 3 ] && ok || bad "the last resume did not write a third file: $(files)"

# 3. the independent reader (evaluations during training included: their own lines)
[ "$(grep -c '"eval_bpd"' "$work/run/log.jsonl")" -ge 4 ] && ok || bad "log.jsonl has no evaluations at steps 3, 6, 9, 12"
"$vdmc" schedule --from-checkpoint "$work/run/checkpoints/step-00000012.h5" --csv --points 201 >"$work/schedule.csv" &&
  ok || bad "vdmc schedule --csv"
if /usr/bin/python3 "$check" check "$work/run" --lost "$work/cut.json" --cut-file "$(basename "$second")" \
  --schedule-csv "$work/schedule.csv" 12 >"$work/check.out" 2>&1; then ok; else bad "tensorboard_check:"; fi
cat "$work/check.out"

# 4. the checker can fail: a flipped byte in a copy, a changed log.jsonl value
cp -r "$work/run" "$work/bad"
first=$(find "$work/bad/tb" -name '*tfevents*' | sort | head -1)
printf '\x55' | dd of="$first" bs=1 seek=200 conv=notrunc status=none
if /usr/bin/python3 "$check" check "$work/bad" --lost "$work/cut.json" --cut-file "$(basename "$second")" \
  >"$work/bad.out" 2>&1; then bad "the checker accepted a flipped byte"; else
  grep -q "CRC mismatch" "$work/bad.out" && ok || bad "the checker did not name the CRC"; fi
cp -r "$work/run" "$work/bad2"
sed -i '3s/"lr": [0-9.e+-]*/"lr": 0.5/' "$work/bad2/log.jsonl"
if /usr/bin/python3 "$check" check "$work/bad2" --lost "$work/cut.json" --cut-file "$(basename "$second")" \
  >"$work/bad2.out" 2>&1; then bad "the checker accepted a changed lr"; else
  grep -q "lr at step 3: TensorBoard" "$work/bad2.out" && ok || bad "the checker did not name lr at step 3"; fi

# 5. off, and a RUN/tb that is not a directory
train off 1 2 --set run.tensorboard=false && ok || bad "run.tensorboard=false"
[ ! -e "$work/off/tb" ] && ok || bad "run.tensorboard=false still made RUN/tb"
mkdir -p "$work/file" && : >"$work/file/tb"
if train file 1 2; then bad "train with RUN/tb a file exited 0"; else
  line=$(grep "^vdmc train:" "$work/file.log" | tail -1)
  echo "RUN/tb a file: $line"
  echo "$line" | grep -q "file/tb" && echo "$line" | grep -q "run.tensorboard: false" && ok ||
    bad "no clear line naming RUN/tb"
fi

# 6. RUN/tb on a full disk (a symlink into a full tmpfs): training goes on
full="$work/full"
mkdir -p "$full"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=64k vdmc-test-tbfull "$full" 2>"$work/mount.err"; then
  echo "SKIP: the full-disk case needs root to mount a small tmpfs ($(cat "$work/mount.err" 2>/dev/null))"
  [ "${VDMC_REQUIRE_ROOT_TESTS:-0}" = 1 ] && bad "VDMC_REQUIRE_ROOT_TESTS=1 but the full-disk case could not run"
else
  trap 'umount "$full" 2>/dev/null; rm -rf "$work"' EXIT
  mkdir -p "$full/tb" "$work/fullrun" && ln -s "$full/tb" "$work/fullrun/tb"
  cat /dev/zero >"$full/filler" 2>/dev/null
  train fullrun 1 4 && ok || bad "training with a full RUN/tb did not finish"
  n=$(grep -c "warning: no more TensorBoard events" "$work/fullrun.log")
  [ "$n" = 1 ] && ok || bad "$n warning lines, not 1"
  grep "warning: no more TensorBoard" "$work/fullrun.log"
  grep -q "No space left on device" "$work/fullrun.log" && ok || bad "the warning does not say the disk is full"
  [ "$(cat "$work/fullrun/checkpoints/latest" 2>/dev/null)" = step-00000004.h5 ] && ok || bad "no step-4 checkpoint"
  [ "$(grep -vc eval_bpd "$work/fullrun/log.jsonl")" = 4 ] && [ "$(grep -c eval_bpd "$work/fullrun/log.jsonl")" = 2 ] &&
    ok || bad "log.jsonl is not complete (4 intervals, evaluations at steps 3 and 4)"
  leftover=$(find "$full/tb" -type f | head -1)
  [ -z "$leftover" ] && ok || bad "an event file was left: $leftover ($(stat -c %s "$leftover") bytes)"
  umount "$full"
fi
finish tensorboard
