#!/usr/bin/env bash
# vdmc upgrade (docs/checkpoints.md, "Upgrading format_version 1") on a real run of
# format_version 1 checkpoints written by the vdmc before the checksum record
# (tests/fixtures/format_v1/make.sh): the upgraded files hold the same arrays,
# extras, config, tensor table and attributes bit for bit (h5dump's raw bytes), the
# originals stay in checkpoints/format-v1/, a second upgrade changes nothing, the run
# resumes and trains on, sample and eval read it; at P=2 the same; a kill -9 inside
# the write or between the backup link and the rename leaves the v1 file in place and
# a rerun finishes. Damaged and non-checkpoint files: tests/cli/bad_checkpoints.sh.
set -u
source "$(dirname "$0")/../common/mpirun.sh"
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
fixture="${VDMC_SOURCE_DIR:-$(dirname "$0")/../..}/tests/fixtures/format_v1/run"
steps="step-00000002.h5 step-00000003.h5"

# same_content V1 V2: every dataset's raw bytes, the tensor table, every attribute but
# format_version (1 -> 2) are equal
same_content() {
  local d a what
  for d in /arrays/params /arrays/ema /arrays/adam_m /arrays/adam_v /extras/adaptive_bins /extras/train_counters \
           /config; do
    h5dump -d "$d" -b LE -o "$work/a.bin" "$1" >/dev/null && h5dump -d "$d" -b LE -o "$work/b.bin" "$2" >/dev/null &&
      cmp -s "$work/a.bin" "$work/b.bin" && [ -s "$work/a.bin" ] || { fail "$2: $d differs from $1"; continue; }
    h5dump -a "$d/crc32" "$1" | tail -n +2 >"$work/a.txt"
    h5dump -a "$d/crc32" "$2" | tail -n +2 >"$work/b.txt"
    cmp -s "$work/a.txt" "$work/b.txt" || fail "$2: $d/crc32 differs"
  done
  for what in "-d /tensors" "-a /step" "-a /images_seen" "-a /seed" "-a /world_size" "-a /total" "-a /vdmc_kind"; do
    h5dump $what "$1" | tail -n +2 >"$work/a.txt"
    h5dump $what "$2" | tail -n +2 >"$work/b.txt"
    cmp -s "$work/a.txt" "$work/b.txt" && [ -s "$work/a.txt" ] || fail "$2: h5dump $what differs from $1"
  done
  h5dump -a /format_version "$1" | grep -q '(0): 1$' || fail "$1: not format_version 1"
  h5dump -a /format_version "$2" | grep -q '(0): 2$' || fail "$2: not format_version 2"
}

# 1. a run directory: both committed step files, `latest` unchanged, and the run's
#    other files in the checkpoint format (RUN/best.h5, RUN/ema/power-ema-*.h5; here
#    copies of the step-2 file stand in for them)
cp -a "$fixture" "$work/old"
mkdir "$work/old/ema"
cp "$fixture/checkpoints/step-00000002.h5" "$work/old/best.h5"
cp "$fixture/checkpoints/step-00000002.h5" "$work/old/ema/power-ema-000000000016.h5"
"$vdmc" upgrade "$work/old" >"$work/up.out" 2>"$work/up.err" || fail "upgrade: $(cat "$work/up.err")"
cat "$work/up.out"
[ -s "$work/up.err" ] && fail "upgrade wrote to stderr: $(cat "$work/up.err")"
grep -q "upgraded 4 files to format_version 2 (0 already were)" "$work/up.out" || fail "no summary line"
for f in best.h5 ema/power-ema-000000000016.h5; do
  same_content "$fixture/checkpoints/step-00000002.h5" "$work/old/$f"
  cmp -s "$fixture/checkpoints/step-00000002.h5" "$work/old/$(dirname "$f")/format-v1/$(basename "$f")" ||
    fail "the original of $f is not kept"
done
for s in $steps; do
  cmp -s "$fixture/checkpoints/$s" "$work/old/checkpoints/format-v1/$s" || fail "format-v1/$s is not the original"
  same_content "$fixture/checkpoints/$s" "$work/old/checkpoints/$s"
  "$vdmc" info "$work/old/checkpoints/$s" | grep -q "format_version: 2" || fail "vdmc info $s"
done
cmp -s "$fixture/checkpoints/latest" "$work/old/checkpoints/latest" || fail "latest changed"
ls "$work/old/checkpoints" | grep -q tmp && fail "a temporary was left: $(ls "$work/old/checkpoints")"

# 2. a second upgrade is a no-op and says so
sums() { find "$work/old" -name '*.h5' | sort | xargs cksum; }
sums >"$work/sum1"
"$vdmc" upgrade "$work/old" >"$work/up2.out" 2>&1 || fail "second upgrade: $(cat "$work/up2.out")"
grep -q "nothing to upgrade: all 4 files are format_version 2" "$work/up2.out" || fail "second upgrade: $(cat "$work/up2.out")"
sums >"$work/sum2"
cmp -s "$work/sum1" "$work/sum2" || fail "the second upgrade changed files"

# 3. sample and eval read the upgraded run; train resumes from step 3 and trains on
"$vdmc" sample "$work/old" --n 2 --steps 2 --out "$work/grid.png" >"$work/s.log" 2>&1 || fail "sample: $(cat "$work/s.log")"
# the stored config names data/fashion-mnist-test.h5 (relative): $work/data holds it
vdmc_abs=$(realpath "$vdmc")
(cd "$work" && "$vdmc_abs" eval old --bpd --n 4) >"$work/e.log" 2>&1 || fail "eval: $(cat "$work/e.log")"
grep -q "total" "$work/e.log" || fail "eval printed no bits/dim: $(cat "$work/e.log")"
"$vdmc" train "$work/old/config.yaml" --run "$work/old" "${data_args[@]}" --set optim.steps=5 >"$work/t.log" 2>&1 ||
  fail "resume: $(tail -3 "$work/t.log")"
grep -q "resumed from $work/old/checkpoints/step-00000003.h5 at step 3" "$work/t.log" || fail "did not resume at step 3"
grep -q "^step 5/5" "$work/t.log" || fail "did not train to step 5"
[ "$(cat "$work/old/checkpoints/latest")" = step-00000005.h5 ] || fail "latest is not step 5"
[ -f "$work/old/checkpoints/format-v1/step-00000003.h5" ] || fail "training removed the kept original"

# 4. one file named directly, and at P=2 (the ranks split the arrays): the original is
#    kept in format-v1/ next to it
mkdir -p "$work/one" "$work/two"
cp "$fixture/checkpoints/step-00000003.h5" "$work/one/s.h5"
cp "$fixture/checkpoints/step-00000003.h5" "$work/two/s.h5"
"$vdmc" upgrade "$work/one/s.h5" >"$work/o.log" 2>&1 || fail "upgrade of one file: $(cat "$work/o.log")"
grep -qF "the original is kept as $work/one/format-v1/s.h5" "$work/o.log" || fail "one file: $(cat "$work/o.log")"
same_content "$fixture/checkpoints/step-00000003.h5" "$work/one/s.h5"
vdmc_mpirun 2 "$vdmc" upgrade "$work/two/s.h5" >"$work/p2.log" 2>&1 || fail "upgrade at P=2: $(cat "$work/p2.log")"
same_content "$fixture/checkpoints/step-00000003.h5" "$work/two/s.h5"
"$vdmc" compare "$work/one/s.h5" "$work/two/s.h5" >"$work/c.log" 2>&1 || fail "P=1 and P=2 upgrades differ: $(cat "$work/c.log")"

# 5. kill -9 inside the write (after_write) and between the backup's link and the
#    rename (after_link): the v1 file is still in place (and kept), a rerun finishes
kill_at() {  # PHASE FILE
  VDMC_CKPT_TEST_PAUSE=$1 "$vdmc" upgrade "$2" >"$work/k.out" 2>"$work/k.err" &
  local bg=$! pid="" i
  for i in $(seq 600); do
    pid=$(sed -n 's/.* pid \([0-9]*\) paused at .*/\1/p' "$work/k.err")
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] && kill -9 "$pid"
  wait "$bg" 2>/dev/null
  [ -n "$pid" ] || fail "$1: the upgrade did not pause: $(cat "$work/k.err")"
}
for phase in after_write after_link; do
  mkdir -p "$work/$phase"
  cp "$fixture/checkpoints/step-00000003.h5" "$work/$phase/s.h5"
  kill_at "$phase" "$work/$phase/s.h5"
  cmp -s "$fixture/checkpoints/step-00000003.h5" "$work/$phase/s.h5" || fail "$phase: the v1 file changed"
  "$vdmc" upgrade "$work/$phase/s.h5" >"$work/k2.log" 2>&1 || fail "$phase: rerun: $(cat "$work/k2.log")"
  same_content "$fixture/checkpoints/step-00000003.h5" "$work/$phase/s.h5"
  cmp -s "$fixture/checkpoints/step-00000003.h5" "$work/$phase/format-v1/s.h5" || fail "$phase: original not kept"
done

echo "upgrade: $failures failed"
[ "$failures" -eq 0 ]
