#!/usr/bin/env bash
# Fréchet distance on ScaLAPACK grids 1x2 and 2x2 against SciPy's sqrtm (d = 64 and
# 2048), closed forms and the reduced feature statistics (1 rank runs as unit.fid);
# KID and precision/recall on 2 ranks (1 rank runs as unit.kid_pr).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
bin=$(vdmc_test_bin "$1" test_fid)
export OPENBLAS_NUM_THREADS=1  # the ranks already share the cores
fail=0
for n in 2 4; do
  vdmc_mpirun "$n" -x OPENBLAS_NUM_THREADS "$bin" || { echo "FAIL: test_fid with $n ranks"; fail=1; }
done
# KID and precision/recall split their subsets and rows over the ranks: same results at 2
kid=$(vdmc_test_bin "$1" test_kid_pr)
vdmc_mpirun 2 -x OPENBLAS_NUM_THREADS "$kid" || { echo "FAIL: test_kid_pr with 2 ranks"; fail=1; }
exit $fail
