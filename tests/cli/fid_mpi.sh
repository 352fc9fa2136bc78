#!/usr/bin/env bash
# Fréchet distance on ScaLAPACK grids 1x2 and 2x2 against SciPy's sqrtm (d = 64 and
# 2048), closed forms and the reduced feature statistics (1 rank runs as unit.fid).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
bin=$(vdmc_test_bin "$1" test_fid)
export OPENBLAS_NUM_THREADS=1  # the ranks already share the cores
fail=0
for n in 2 4; do
  vdmc_mpirun "$n" -x OPENBLAS_NUM_THREADS "$bin" || { echo "FAIL: test_fid with $n ranks"; fail=1; }
done
exit $fail
