#!/usr/bin/env bash
# mpi_agree (mpi/agree.h) under 2 and 3 ranks, where ranks 1 and 2 fail with different
# messages (1 rank runs as unit.agree).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
vdmc_mpirun_unit "$1" test_agree 2 3
