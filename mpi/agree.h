// Rank agreement on a status: the one way vdmc makes the ranks of a communicator
// act together on a check that can fail on some of them (docs/mpi.md, "Agreement").
#ifndef VDMC_MPI_AGREE_H
#define VDMC_MPI_AGREE_H

#include <mpi.h>

// Collective over comm. Every rank returns VDMC_OK when every rank passed VDMC_OK;
// otherwise every rank returns the status of the lowest failing rank R and records
// R's message as its own, prefixed "rank R: " when R > 0, so whichever rank prints
// prints the same one line and every rank then takes the same branch. An MPI failure
// of the agreement itself returns VDMC_ERR_MPI.
int mpi_agree(MPI_Comm comm, int status);

#endif
