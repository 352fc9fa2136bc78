// Statuses agreed over a communicator (docs/design.md, "Collectives are few and
// named": a check that can fail on one rank is agreed before anyone acts on it).
#ifndef VDMC_MPI_AGREE_H
#define VDMC_MPI_AGREE_H

#include <mpi.h>

// Collective: rank 0's status, and its message, on every rank (for work only rank 0 does).
int agree_rank0(MPI_Comm comm, int status);
// Collective: VDMC_OK when every rank passed status VDMC_OK; otherwise every rank
// returns the status and message of the lowest failing rank.
int agree_all(MPI_Comm comm, int status);

#endif
