// The frame of the unit tests that run under mpirun (and as ctest singletons).
#ifndef VDMC_TEST_MPI_TEST_H
#define VDMC_TEST_MPI_TEST_H

#include <stddef.h>

#include "core/param_table.h"
#include "mpi/comm.h"

// Starts MPI; prints the message and exits 1 if it cannot.
void mpi_test_init(int *argc, char ***argv, VdmcComm *c);
// check_finish as "SUITE[rank R/P]", then the worst result over the ranks (so every
// rank's exit status says whether any failed), then MPI_Finalize: main's return value.
int mpi_test_finish(const VdmcComm *c, const char *suite);
// A parameter table of 23 one-dimensional tensors t0..t22 of uneven sizes,
// base + (i * stride) % spread: buckets of gradient sync tests cut between them.
void mpi_test_param_table(ParamTable *t, size_t base, size_t stride, size_t spread);

#endif
