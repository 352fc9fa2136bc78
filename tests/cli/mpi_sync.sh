#!/usr/bin/env bash
# Gradient sync and reductions under 2 and 4 ranks (1 rank runs as unit.mpi_sync).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
vdmc_mpirun_unit "$1" test_mpi_sync 2 4
