#!/usr/bin/env bash
# The main job (README's first command) on one machine: install what is missing,
# build, prepare Fashion-MNIST, train the default model on 2 MPI ranks, sample a
# grid from the EMA weights, and report. Re-running resumes the run (it is
# checkpointed), so an interrupted quickstart continues where it stopped.
#   VDMC_RUN   run directory (default runs/fmnist)
#   VDMC_RANKS MPI ranks (default 2; 1 BLAS thread each)
#   further arguments go to `vdmc train` (e.g. --set optim.steps=200)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/jobs/deps.sh"
vdmc_install_deps
build=${VDMC_BUILD_DIR:-$here/build}
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target vdmc
vdmc="$build/vdmc"
run=${VDMC_RUN:-runs/fmnist}
ranks=${VDMC_RANKS:-2}

# Prepared when missing or not readable by this vdmc (an older dataset format, a
# damaged file: vdmc info says which in one line); prepare replaces the file whole.
for split in train test; do
  f=data/fashion-mnist-$split.h5
  if [ ! -f "$f" ] || ! "$vdmc" info "$f" >/dev/null; then
    "$vdmc" prepare fashion-mnist --out data
    break
  fi
done
mpi=(mpirun --oversubscribe -n "$ranks" -x OPENBLAS_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)
"${mpi[@]}" "$vdmc" train --run "$run" "$@"
# 1000 samples (classes 0..9 in turn) from the EMA weights by DPM-Solver++(3M) SDE, 40
# steps, with a little guidance (docs/training.md "The default run": the lowest FID of the
# settings tried at this cost); the grid shows them all
"${mpi[@]}" "$vdmc" sample "$run" --n 1000 --sampler dpmpp-3m-sde --steps 40 --guidance 0.2 \
  --out "$run/samples.png" --h5 "$run/samples.h5"
# bits/dim on the first 1000 test images (the VDM ELBO)
"${mpi[@]}" "$vdmc" eval "$run" --bpd --n 1000 | tee "$run/bpd.txt"
# FID in the feature space of a small Fashion-MNIST classifier vdmc trains itself
# (made once, reused by later runs; not comparable with Inception FIDs, see docs/fid.md)
if [ ! -f data/fmnist-classifier.h5 ]; then
  "${mpi[@]}" "$vdmc" train-classifier data/fashion-mnist-train.h5 --out data/fmnist-classifier.h5 \
    --test data/fashion-mnist-test.h5 --epochs 1
fi
[ -f data/fmnist-test-stats.h5 ] || "${mpi[@]}" "$vdmc" fid-stats data/fashion-mnist-test.h5 \
  --features data/fmnist-classifier.h5 --out data/fmnist-test-stats.h5
"${mpi[@]}" "$vdmc" eval --fid --samples "$run/samples.h5" --ref data/fmnist-test-stats.h5 \
  --features data/fmnist-classifier.h5 | tee "$run/fid.txt"

echo
echo "== report: $run"
"$vdmc" info "$run" | sed -n '1,4p'
tail -n 1 "$run/log.jsonl"
echo "samples: $run/samples.png"
echo "bits/dim: $(grep 'total' "$run/bpd.txt" | tail -n 1)"
echo "FID (classifier features, 1000 samples vs test set): $(grep '  fid ' "$run/fid.txt")"
