#!/usr/bin/env bash
# The main job (README's first command): install what is missing, build, and run
# vdmc. As the trainer grows this script grows with it: prepare Fashion-MNIST,
# train on 2 ranks, sample, report.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$here/jobs/deps.sh"
vdmc_install_deps
build=${VDMC_BUILD_DIR:-$here/build}
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target vdmc
"$build/vdmc" --version
