#!/usr/bin/env bash
# The one test command (README, .ci/run): installs missing Debian packages,
# configures, builds, and runs the whole ctest suite.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../jobs/deps.sh
source "$here/jobs/deps.sh"
vdmc_install_deps

build=${VDMC_BUILD_DIR:-$here/build}
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release ${VDMC_CMAKE_ARGS:-} >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; echo "tests/run.sh: cmake configure failed" >&2; exit 1; }
grep 'vdmc dep' "$build.configure.log" || true
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j "${VDMC_TEST_JOBS:-2}" "$@"
