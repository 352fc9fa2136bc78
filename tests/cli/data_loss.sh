#!/usr/bin/env bash
# No input may destroy data (docs/reliability.md "Data loss"):
# 1. A run whose checkpoints/latest is missing, dangling, a symlink loop, a directory,
#    a FIFO, empty or garbage still is a run: `train --resume none` refuses it, and
#    `train` resumes from the newest committed step file with a warning instead of
#    starting from scratch over it.
# 2. One output policy for every writer: a target that exists and is not a regular
#    file is refused and left as it was; a symlink is written through; a target that
#    is the same file as an input, or lies in a run's checkpoints/, is refused; no
#    temporary survives a refused or failed write.
set -u
source "$(dirname "$0")/../common/train_env.sh"
export OPENBLAS_NUM_THREADS=1
source "$(dirname "$0")/../common/counters.sh"
train() {  # run_dir extra-args...
  local dir=$1
  shift
  "$vdmc" train "$tiny" --run "$dir" "${data_args[@]}" --set run.checkpoint_every=3 --set run.sample_every=0 "$@"
}
sums() { (cd "$1/checkpoints" && md5sum step-*.h5); }
refused() {  # name expected-message-part cmd... : must fail with the message
  local name=$1 want=$2
  shift 2
  if "$@" >"$work/$name.log" 2>&1; then bad "$name: accepted"; return; fi
  grep -q -- "$want" "$work/$name.log" && ok || { bad "$name: no '$want' in:"; tail -3 "$work/$name.log"; }
}
no_temporaries() {  # dir
  local left
  left=$(find "$1" -name '*.tmp*' | head -3)
  [ -z "$left" ] && ok || bad "temporaries left behind: $left"
}

train "$work/base" --set optim.steps=6 >"$work/base.log" 2>&1 || { cat "$work/base.log"; bad "base run"; finish data_loss; exit 1; }

# 1. every kind of broken `latest`
for kind in missing dangling loop directory fifo empty garbage; do
  run="$work/run-$kind"
  cp -r "$work/base" "$run"
  l="$run/checkpoints/latest"
  rm -f "$l"
  case $kind in
    missing) ;;
    dangling) ln -s step-00000099.h5 "$l" ;;
    loop) ln -s latest "$l" ;;
    directory) mkdir "$l" ;;
    fifo) mkfifo "$l" ;;
    empty) : >"$l" ;;
    garbage) printf '\x00\xff not a step name' >"$l" ;;
  esac
  before=$(sums "$run")
  refused "none-$kind" "already has checkpoints" train "$run" --set optim.steps=8 --resume none
  [ "$(sums "$run")" = "$before" ] && ok || bad "$kind: --resume none changed the step files"
  if [ $kind = directory ]; then  # the commit could not replace it: refused before any step
    refused "auto-$kind" "is a directory, where vdmc keeps" train "$run" --set optim.steps=8
    [ "$(sums "$run")" = "$before" ] && ok || bad "$kind: the step files changed"
    continue
  fi
  if timeout 120 "$vdmc" train "$tiny" --run "$run" "${data_args[@]}" --set run.checkpoint_every=3 \
      --set optim.steps=8 >"$work/auto-$kind.log" 2>&1; then
    grep -q "warning: .*latest" "$work/auto-$kind.log" && ok || bad "$kind: no warning about latest"
    grep -q "resumed from .*step-00000006.h5 at step 6" "$work/auto-$kind.log" && ok \
      || { bad "$kind: did not resume from step 6"; grep -v '^step' "$work/auto-$kind.log" | head -5; }
  else
    bad "$kind: train failed"; tail -3 "$work/auto-$kind.log"
  fi
  [ -f "$run/checkpoints/step-00000008.h5" ] && ok || bad "$kind: no step-8 checkpoint"
done
# an unreadable checkpoints directory is an error, never "no run here"
if [ "$(id -u)" -ne 0 ]; then
  cp -r "$work/base" "$work/run-noperm"
  chmod 000 "$work/run-noperm/checkpoints"
  refused "noperm" "checkpoints" train "$work/run-noperm" --set optim.steps=8
  chmod 755 "$work/run-noperm/checkpoints"
fi
cp -r "$work/base" "$work/run-notdir"
rm -rf "$work/run-notdir/checkpoints" && echo junk >"$work/run-notdir/checkpoints"
refused "checkpoints-file" "not a directory" train "$work/run-notdir" --set optim.steps=8

# 2. the output policy, through sample (PNG and HDF5 writers), fid-stats and prepare
run="$work/base"
ck="$run/checkpoints/step-00000006.h5"
ck_sum=$(md5sum <"$ck")
sample() { "$vdmc" sample "$@" --n 2 --steps 2 --batch 2; }
mkfifo "$work/fifo.png"
mkdir "$work/dir.png"
refused "out-fifo" "FIFO, not a regular file" sample "$run" --out "$work/fifo.png"
[ -p "$work/fifo.png" ] && ok || bad "the FIFO was replaced"
refused "out-dir" "directory, not a regular file" sample "$run" --out "$work/dir.png"
[ -d "$work/dir.png" ] && ok || bad "the directory was replaced"
refused "out-device" "character device" sample "$run" --out /dev/null
[ -c /dev/null ] && ok || bad "/dev/null was replaced"
refused "h5-in-checkpoints" "refusing to write" sample "$run" --h5 "$ck"
refused "png-in-checkpoints" "only the checkpointer" sample "$run" --out "$run/checkpoints/grid.png"
ln "$ck" "$work/hardlink.h5"
refused "h5-same-as-input" "same file as the input" sample "$work/hardlink.h5" --h5 "$work/hardlink.h5"
ln -s "$ck" "$work/link-to-ckpt.png"
refused "link-to-input" "same file as the input" sample "$run" --out "$work/link-to-ckpt.png"
[ "$(md5sum <"$ck")" = "$ck_sum" ] && ok || bad "the checkpoint changed"
ln -s nowhere/grid.png "$work/dangling.png"
refused "out-dangling" "symlink to a missing file" sample "$run" --out "$work/dangling.png"
# a symlink to a regular file is written through: the link stays, its target gets the PNG
echo old >"$work/target.png"
ln -s target.png "$work/link.png"
if sample "$run" --out "$work/link.png" >"$work/link.log" 2>&1; then
  [ -L "$work/link.png" ] && ok || bad "the symlink was replaced"
  head -c 8 "$work/target.png" | od -c | grep -q 'P   N   G' && ok || bad "the symlink's target is not the PNG"
  grep -q "writing through it" "$work/link.log" && ok || bad "no line about writing through the symlink"
else
  bad "sample through a symlink failed"; tail -3 "$work/link.log"
fi
# refused before the work, not after it: no sampling, training or feature pass ran
! grep -q "steps/s" "$work/out-fifo.log" && ok || bad "sample sampled before refusing its target"
test_sum=$(md5sum <"$work/data/fashion-mnist-test.h5")
refused "stats-same-as-input" "same file as the input" "$vdmc" fid-stats "$work/data/fashion-mnist-test.h5" \
  --features "$work/data/fashion-mnist-train.h5" --out "$work/data/fashion-mnist-test.h5"
refused "classifier-same-as-input" "same file as the input" "$vdmc" train-classifier \
  "$work/data/fashion-mnist-test.h5" --out "$work/data/fashion-mnist-test.h5"
! grep -q "^step" "$work/classifier-same-as-input.log" && ok || bad "train-classifier trained before refusing"
[ "$(md5sum <"$work/data/fashion-mnist-test.h5")" = "$test_sum" ] && ok || bad "the dataset changed"
# prepare (the dataset writer) onto a FIFO
mkdir -p "$work/prep"
mkfifo "$work/prep/fashion-mnist-train.h5"
refused "prepare-fifo" "FIFO, not a regular file" timeout 60 "$vdmc" prepare fashion-mnist --out "$work/prep"
[ -p "$work/prep/fashion-mnist-train.h5" ] && ok || bad "prepare replaced the FIFO"
# log.jsonl is appended in place: a FIFO there must be refused, not opened (it would hang)
cp -r "$work/base" "$work/run-logfifo"
rm "$work/run-logfifo/log.jsonl" && mkfifo "$work/run-logfifo/log.jsonl"
refused "log-fifo" "FIFO, not a regular file" timeout 60 "$vdmc" train "$tiny" --run "$work/run-logfifo" \
  "${data_args[@]}" --set optim.steps=8
no_temporaries "$work"
finish data_loss
