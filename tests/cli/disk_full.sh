#!/usr/bin/env bash
# A full disk (a small tmpfs) during a checkpoint, a sample grid, a prepared dataset
# and a run's config.yaml: one line naming the file and the reason, a non-zero exit,
# no temporary left behind, and the previous checkpoint still committed and loadable.
# Needs root (mount); elsewhere it says SKIP loudly, and VDMC_REQUIRE_ROOT_TESTS=1
# (set by .ci/run) turns that into a failure.
set -u
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
full="$work/full"
mkdir -p "$full"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1200k vdmc-test-full "$full" 2>"$work/mount.err"; then
  echo "SKIP: disk_full needs root to mount a small tmpfs ($(cat "$work/mount.err" 2>/dev/null))"
  [ "${VDMC_REQUIRE_ROOT_TESTS:-0}" = 1 ] && { echo "FAIL: VDMC_REQUIRE_ROOT_TESTS=1 but the test could not run"; exit 1; }
  exit 0
fi
trap 'umount "$full" 2>/dev/null; rm -rf "$work"' EXIT
train() {  # run_dir steps
  "$vdmc" train "$tiny" --run "$1" "${data_args[@]}" --set optim.steps="$2" --set run.checkpoint_every=2 \
    --set run.sample_every=0 --set run.keep_checkpoints=5
}
no_temporaries() { left=$(find "$full" -name '*.tmp*' | head -3); [ -z "$left" ] && ok || bad "$1: temporaries left: $left"; }

# one checkpoint (about 0.85 MB) fits, the second does not
if train "$full/run" 4 >"$work/train.log" 2>&1; then bad "train into a full disk exited 0"; else
  line=$(grep "^vdmc train:" "$work/train.log" | tail -1)
  echo "$line" | grep -q "step-00000004.h5.tmp" && ok || bad "the error does not name the file: $line"
  echo "$line" | grep -q "no space left on device" && ok || bad "the error does not say the disk is full: $line"
fi
[ "$(cat "$full/run/checkpoints/latest" 2>/dev/null)" = step-00000002.h5 ] && ok || bad "latest is not the step-2 checkpoint"
"$vdmc" info "$full/run" >"$work/info.log" 2>&1 && grep -q "^step: 2" "$work/info.log" && ok || bad "the step-2 checkpoint does not load"
no_temporaries checkpoint

# the disk is full now (fill what is left): each writer fails cleanly
cat /dev/zero >"$full/filler" 2>/dev/null
if "$vdmc" sample "$full/run" --n 2 --steps 2 --batch 2 --out "$full/grid.png" >"$work/sample.log" 2>&1; then
  bad "sample onto a full disk exited 0"
else
  grep -q "grid.png.*No space left on device" "$work/sample.log" && ok || { bad "sample: no clear line:"; tail -2 "$work/sample.log"; }
fi
[ ! -e "$full/grid.png" ] && ok || bad "a partial grid.png was left"
if "$vdmc" prepare fashion-mnist --out "$full/data" >"$work/prepare.log" 2>&1; then bad "prepare onto a full disk exited 0"; else
  grep -q "fashion-mnist-.*h5.*No space left on device" "$work/prepare.log" && ok || { bad "prepare: no file named:"; tail -2 "$work/prepare.log"; }
fi
rm -rf "$full/run2" && mkdir "$full/run2" 2>/dev/null
if train "$full/run2" 2 >"$work/train2.log" 2>&1; then bad "train with no room for config.yaml exited 0"; else
  grep -q "config.yaml" "$work/train2.log" && ok || { bad "train: config.yaml not named:"; tail -2 "$work/train2.log"; }
fi
no_temporaries writers
for f in train sample prepare train2; do  # the lines a user saw
  echo "$f: $(grep -v '^step\|^sample (' "$work/$f.log" | tail -1)"
done
finish disk_full
