// Facts about the MPI world that every rank must agree on before training starts.
#ifndef VDMC_MPI_WORLD_H
#define VDMC_MPI_WORLD_H

#include <stdio.h>

#include "mpi/comm.h"

// Under Slurm the job step's task count must be the MPI world size: a launcher that
// started singletons (plain srun without --mpi=pmix) or too few ranks would
// otherwise train P unrelated copies. Each rank reads SLURM_NTASKS only where it
// describes this MPI job (see world.c); the ranks then agree on the outcome (mpi_agree),
// so a mismatch seen on any one rank fails every rank with the lowest such rank's
// error (VDMC_ERR_INPUT) instead of leaving the others waiting in their first
// collective. Collective: call on every rank.
int world_check_slurm_tasks(const VdmcComm *c);

// Gathers each rank's hostname to rank 0, which prints one line
// "<prefix>ranks on hosts: node1 0-7, node2 8-15". Collective.
int world_report_hosts(const VdmcComm *c, FILE *out, const char *prefix);

#endif
