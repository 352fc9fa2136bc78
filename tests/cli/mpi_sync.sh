#!/usr/bin/env bash
# Gradient sync and reductions under 2 and 4 ranks (1 rank runs as unit.mpi_sync).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
bin=$(vdmc_test_bin "$1" test_mpi_sync)
fail=0
for n in 2 4; do
  vdmc_mpirun "$n" "$bin" || { echo "FAIL: test_mpi_sync with $n ranks"; fail=1; }
done
exit $fail
