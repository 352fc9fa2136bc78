#!/usr/bin/env bash
# The bf16 gradient sum against its error bound under 2 and 3 ranks (docs/mpi.md,
# "Reduced-precision gradient sum"; 1 rank runs as unit.mpi_bf16_reduce).
set -u
source "$(dirname "$0")/../common/mpirun.sh"
vdmc_mpirun_unit "$1" test_mpi_bf16_reduce 2 3
