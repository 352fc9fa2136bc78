#include "mpi/iallreduce_algorithm.h"

#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

static const char *const CVAR = "coll_libnbc_iallreduce_algorithm";

int iallreduce_libnbc_variable(int *found, int *value, int set) {
  int level, provided, idx, count;
  *found = 0;
  // Open MPI's MPI_T_init_thread records the level it is given as the process's thread
  // level: ask for the one MPI_Init_thread gave, or a progress thread would lose it.
  MPI_TRY(MPI_Query_thread(&level));
  MPI_TRY(MPI_T_init_thread(level, &provided));
  int rc = MPI_T_cvar_get_index(CVAR, &idx);
  if (rc != MPI_SUCCESS) {  // MPI_T_ERR_INVALID_NAME: not Open MPI's libnbc
    MPI_T_finalize();
    return VDMC_OK;
  }
  MPI_T_cvar_handle h;
  rc = MPI_T_cvar_handle_alloc(idx, NULL, &h, &count);
  if (rc == MPI_SUCCESS && count == 1) {
    rc = MPI_T_cvar_read(h, value);
    if (rc == MPI_SUCCESS && set >= 0) rc = MPI_T_cvar_write(h, &set);
    MPI_T_cvar_handle_free(&h);
  }
  MPI_T_finalize();
  if (rc != MPI_SUCCESS || count != 1)
    return vdmc_fail(VDMC_ERR_MPI, "cannot %s Open MPI's %s through the MPI tool interface (error %d)",
                     set >= 0 ? "set" : "read", CVAR, rc);
  *found = 1;
  return VDMC_OK;
}

// The value this process last wrote into the variable (-1: none). A later choice (another
// GradSync, another communicator size) must tell vdmc's own setting from one made
// outside, and undo the ring where it no longer holds.
static int written = -1;

int iallreduce_algorithm_choose(MPI_Comm comm, IallreduceAlgorithm *out) {
  int size, found = 0, value = 0;
  *out = IALLREDUCE_LIBRARY;
  MPI_TRY(MPI_Comm_size(comm, &size));
  int rc = mpi_agree(comm, iallreduce_libnbc_variable(&found, &value, -1));
  if (rc) return rc;
  // Every rank must run the same algorithm: compare what each found.
  int mine[2] = {found ? value : -1, found ? -value : 1}, all[2];
  MPI_TRY(MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, comm));
  if (all[0] != -all[1])
    return vdmc_fail(VDMC_ERR_INPUT, "ranks disagree on Open MPI's %s (values %d to %d, or absent on some): set "
                     "OMPI_MCA_%s for all ranks or for none", CVAR, -all[1], all[0], CVAR);
  if (!found) return VDMC_OK;
  if (value != 0 && value != written) {
    written = -1;
    *out = IALLREDUCE_CHOSEN_OUTSIDE;
    return VDMC_OK;
  }
  int want = size == 2 ? IALLREDUCE_LIBNBC_RING : 0;
  // A rank whose write failed fails them all, so no two ranks run different algorithms.
  if (want != value && (rc = mpi_agree(comm, iallreduce_libnbc_variable(&found, &value, want)))) return rc;
  written = want;
  *out = want ? IALLREDUCE_PAIR_RING : IALLREDUCE_LIBRARY;
  return VDMC_OK;
}

const char *iallreduce_algorithm_name(IallreduceAlgorithm a) {
  switch (a) {
    case IALLREDUCE_PAIR_RING: return "libnbc ring (set by vdmc at P = 2: the tree's sums, both directions at once)";
    case IALLREDUCE_CHOSEN_OUTSIDE: return "as coll_libnbc_iallreduce_algorithm was set outside vdmc";
    case IALLREDUCE_LIBRARY: break;
  }
  return "the MPI library's choice";
}
