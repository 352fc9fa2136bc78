#!/usr/bin/env bash
# Post-hoc EMA (docs/training.md "Post-hoc EMA"): the power-function EMAs of
# optim.ema_stds, their snapshots in RUN/ema/ and `vdmc ema`.
#  (a) a reconstruction at a tracked std equals the tracked profile of the newest
#      snapshot (the weights are a unit vector up to the solve's rounding); one between
#      the tracked stds is close to the same run's own tracking of it;
#  (c) a run stopped at step 6 and resumed at the same P ends with every snapshot and
#      the final checkpoint (tracked profiles included) bit-identical to a straight run,
#      at P = 1 and P = 2; resumed at P = 1 -> 2 the older snapshots stay as they were,
#      the newer ones match to 1e-5, and `vdmc ema` under 2 ranks reads the mixed set;
#      snapshots are not pruned by run.keep_checkpoints; the last step has one too;
#  (d) damaged or inconsistent snapshots are refused with one line and no output; a
#      snapshot that cannot be written stops training on all ranks with one line;
#  the output loads in vdmc sample.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
source "$(dirname "$0")/../common/counters.sh"
export OPENBLAS_NUM_THREADS=1
TAMPER="$(vdmc_test_bin "$vdmc" file_tamper)"
DIFF="$(vdmc_test_bin "$vdmc" h5_array_diff)"
stds='[0.05, 0.1]'
train() {  # run_dir ranks extra-args...: 12 steps of 8 images, a snapshot every 16 images, $stds tracked
  local dir=$1 np=$2
  shift 2
  vdmc_mpirun "$np" "$vdmc" train "$tiny" --run "$work/$dir" "${data_args[@]}" --set optim.steps=12 \
    --set run.checkpoint_every=6 --set run.keep_checkpoints=1 --set "optim.ema_stds=$stds" \
    --set run.ema_snapshot_images=16 "$@" >>"$work/$dir.log" 2>&1
}
same() {  # name file-a file-b tol
  if "$vdmc" compare "$2" "$3" --tol "$4" >"$work/$1.cmp" 2>&1; then ok; else bad "$1 differs:"; cat "$work/$1.cmp"; fi
}
close() {  # name file-a dataset-a file-b dataset-b rel-tol: max |a - b| <= tol max |b|
  local out
  out=$("$DIFF" "$2" "$3" "$4" "$5") || { bad "$1: h5_array_diff failed"; return; }
  echo "$1: $out"
  awk -v tol="$6" '{ exit !($2 <= tol * $4) }' <<<"$out" && ok || bad "$1: $out above $6 relative"
}
snaps="000000000016 000000000032 000000000048 000000000064 000000000080 000000000096"
last="$work/p1/ema/power-ema-000000000096.h5"

train p1 1 || bad "straight run at P=1"
for s in $snaps; do [ -f "$work/p1/ema/power-ema-$s.h5" ] && ok || bad "snapshot $s missing (pruned?)"; done
[ "$(ls "$work/p1/checkpoints" | grep -c '^step-')" = 1 ] && ok || bad "keep_checkpoints=1 not applied"
# a last step between multiples gets a snapshot too (vdmc ema reconstructs at the
# newest one and writes it into the latest checkpoint: the same step)
vdmc_mpirun 1 "$vdmc" train "$tiny" --run "$work/odd" "${data_args[@]}" --set optim.steps=5 --set "optim.ema_stds=$stds" \
  --set run.ema_snapshot_images=16 >>"$work/odd.log" 2>&1 || bad "5-step run"
[ "$(ls "$work/odd/ema")" = "$(printf 'power-ema-%012d.h5\n' 16 32 40)" ] && ok || bad "snapshots of a 5-step run: $(ls "$work/odd/ema")"
"$vdmc" info "$last" | grep -q "ema_power_1 .* ok" && ok || bad "vdmc info does not verify a snapshot"

# (a) the tracked profiles reproduce themselves
"$vdmc" ema "$work/p1" --std 0.05 --std 0.1 --std 0.07 --out "$work/rec.h5" >"$work/ema.log" 2>&1 || {
  bad "vdmc ema failed"; cat "$work/ema.log"; }
cat "$work/ema.log"
close "std 0.05 vs tracked" "$work/rec-std0.05.h5" /arrays/ema "$last" /arrays/ema_power_0 1e-6
close "std 0.10 vs tracked" "$work/rec-std0.1.h5" /arrays/ema "$last" /arrays/ema_power_1 1e-6
grep -q "std 0.07 .* residual" "$work/ema.log" && ok || bad "no residual reported"
# The EMA does not change training, so a run tracking 0.07 itself (same seed, same
# params) gives the exact answer: the reconstruction from 6 snapshots of 0.05 and 0.10
# must be within 5% of the distance between those two tracked profiles.
stds='[0.07]' train truth 1 || bad "run tracking 0.07"
spread=$("$DIFF" "$last" /arrays/ema_power_0 "$last" /arrays/ema_power_1 | awk '{print $2}')
err=$("$DIFF" "$work/rec-std0.07.h5" /arrays/ema "$work/truth/ema/power-ema-000000000096.h5" /arrays/ema_power_0 |
  awk '{print $2}')
echo "std 0.07 reconstructed vs tracked: max abs error $err; tracked 0.05 vs 0.10 differ by $spread"
awk -v e="$err" -v s="$spread" 'BEGIN { exit !(e <= 0.05 * s && s > 0) }' && ok || bad "std 0.07: error $err vs spread $spread"
"$vdmc" sample "$work/rec-std0.07.h5" --n 2 --steps 4 --out "$work/g.png" >"$work/sample.log" 2>&1 && ok ||
  { bad "vdmc sample cannot read the output"; cat "$work/sample.log"; }

# (c) resume: bit-identical at the same P, snapshots survive P = 1 -> 2
VDMC_TRAIN_TEST_SIGNAL_AT=5 train s11 1 && train s11 1 || bad "stop + resume at P=1"
grep -q "resumed from .*step-00000006.h5" "$work/s11.log" && ok || bad "s11 did not resume at step 6"
same "P=1 final" "$work/s11/checkpoints/step-00000012.h5" "$work/p1/checkpoints/step-00000012.h5" 0
for s in $snaps; do same "P=1 snapshot $s" "$work/s11/ema/power-ema-$s.h5" "$work/p1/ema/power-ema-$s.h5" 0; done
train p2 2 || bad "straight run at P=2"
VDMC_TRAIN_TEST_SIGNAL_AT=5 train s22 2 && train s22 2 || bad "stop + resume at P=2"
same "P=2 final" "$work/s22/checkpoints/step-00000012.h5" "$work/p2/checkpoints/step-00000012.h5" 0
for s in $snaps; do same "P=2 snapshot $s" "$work/s22/ema/power-ema-$s.h5" "$work/p2/ema/power-ema-$s.h5" 0; done
VDMC_TRAIN_TEST_SIGNAL_AT=5 train s12 1 && cp -p "$work/s12/ema/power-ema-000000000048.h5" "$work/before.h5" &&
  train s12 2 || bad "stop at P=1 + resume at P=2"
cmp -s "$work/before.h5" "$work/s12/ema/power-ema-000000000048.h5" && ok || bad "a snapshot before the resume changed"
same "P=1->2 final" "$work/s12/checkpoints/step-00000012.h5" "$work/p1/checkpoints/step-00000012.h5" 1e-5
same "P=1->2 newest snapshot" "$work/s12/ema/power-ema-000000000096.h5" "$last" 1e-5
vdmc_mpirun 2 "$vdmc" ema "$work/s12" --std 0.07 --out "$work/rec12.h5" >"$work/ema12.log" 2>&1 && ok ||
  { bad "vdmc ema under 2 ranks"; cat "$work/ema12.log"; }
close "P=1->2 std 0.07 vs P=1" "$work/rec12.h5" /arrays/ema "$work/rec-std0.07.h5" /arrays/ema 1e-5

# (d) bad snapshots: one line, non-zero exit, no output
refused() {  # name expected-message tamper-args...: damages a copy of the newest snapshot of p1
  local name=$1 want=$2
  shift 2
  rm -rf "$work/bad"
  mkdir -p "$work/bad/ema" && cp -r "$work/p1/checkpoints" "$work/bad/" && cp "$work/p1/ema/"*.h5 "$work/bad/ema/"
  if [ "$1" = truncate ]; then truncate -s 5000 "$work/bad/ema/power-ema-000000000096.h5"
  elif [ "$1" = remove ]; then rm "$work/bad/ema/"*.h5
  else "$TAMPER" "$work/bad/ema/power-ema-000000000096.h5" "$@" || { bad "$name: file_tamper $*"; return; }; fi
  if "$vdmc" ema "$work/bad" --std 0.07 --out "$work/bad.h5" >"$work/bad.out" 2>"$work/bad.err"; then
    bad "$name: accepted"; return; fi
  [ "$(wc -l <"$work/bad.err")" = 1 ] && grep -q "$want" "$work/bad.err" && ok ||
    { bad "$name: expected one line with '$want', got:"; cat "$work/bad.err"; }
  [ ! -e "$work/bad.h5" ] && ok || bad "$name: an output was written"
  echo "$name: $(cat "$work/bad.err")"
}
refused "corrupt profile" "checksum mismatch in array 'ema_power_1'" value arrays/ema_power_1 7 0.5 keep-crc
refused "std out of range" "relative std 0.5 must be in" value extras/ema_power_stds 1 0.5 fix-crc
refused "std twice" "relative std 0.05 is listed twice" value extras/ema_power_stds 1 0.05 fix-crc
refused "std extra missing" "has no extras/ema_power_stds" drop extras/ema_power_stds
refused "profile missing" "has no arrays 'ema_power_1'" drop arrays/ema_power_1
refused "images mismatch" "images_seen is 88 but the file name says 96" attr images_seen 88
refused "other run" "belongs to another run" attr seed 7
refused "truncated" "is truncated: the file has 5000 bytes" truncate
refused "no snapshots" "holds no power-function EMA snapshots" remove
if "$vdmc" ema "$work/p1" --std 0 --out "$work/x.h5" 2>"$work/std.err"; then bad "--std 0 accepted"; else
  grep -q "expected a relative std in" "$work/std.err" && ok || bad "--std 0: $(cat "$work/std.err")"; fi
if "$vdmc" ema "$work/p1" --std 0.07 --out "$work/p1/checkpoints/x.h5" 2>"$work/ck.err"; then
  bad "output into checkpoints/ accepted"; else grep -q "only the checkpointer" "$work/ck.err" && ok || bad "$(cat "$work/ck.err")"; fi
# a snapshot that cannot be written ends the run on every rank with one line, like a
# failed checkpoint (no abort, no hang)
mkdir -p "$work/nosnap" && touch "$work/nosnap/ema"
if train nosnap 2; then bad "a run whose RUN/ema is a file succeeded"; else
  grep -q "nosnap/ema: exists and is not a directory" "$work/nosnap.log" && ! grep -q MPI_ABORT "$work/nosnap.log" &&
    ok || { bad "unwritable snapshot:"; cat "$work/nosnap.log"; }; fi
if stds='[0.05, 0.12]' train p1 1; then bad "changed stds resumed"; else
  grep -q "cannot change in the middle of a run" "$work/p1.log" && ok || bad "no clear changed-stds message"; fi

finish posthoc_ema
