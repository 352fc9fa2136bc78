// The one stop-flag collective per step (DESIGN principle 4): a MAX over ranks of
// each rank's local stop request, so all ranks stop at the same step boundary.
#ifndef VDMC_MPI_STOP_FLAG_H
#define VDMC_MPI_STOP_FLAG_H

#include <mpi.h>

// *global = max over ranks of `local` (e.g. signals_requested()). Collective.
int stop_flag_allreduce(MPI_Comm comm, int local, int *global);

#endif
