#!/usr/bin/env bash
# mpi_agree (mpi/agree.h) under 2 and 3 ranks, where ranks 1 and 2 fail with different
# messages (1 rank runs as unit.agree).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
bin=$(vdmc_test_bin "$1" test_agree)
fail=0
for n in 2 3; do
  vdmc_mpirun "$n" "$bin" || { echo "FAIL: test_agree with $n ranks"; fail=1; }
done
exit $fail
