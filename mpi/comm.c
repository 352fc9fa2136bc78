#include "mpi/comm.h"

#include <stdio.h>

#include "core/status.h"

static int mpi_fail_va(int rc, const char *src, int line, const char *fmt, va_list ap) {
  char reason[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  if (MPI_Error_string(rc, reason, &len) != MPI_SUCCESS) snprintf(reason, sizeof reason, "MPI error %d", rc);
  return vdmc_fail_library(VDMC_ERR_MPI, reason, src, line, fmt, ap);
}

int mpi_fail(int rc, const char *src, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int status = mpi_fail_va(rc, src, line, fmt, ap);
  va_end(ap);
  return status;
}

int mpi_status(int rc, const char *src, int line, const char *fmt, ...) {
  if (rc == MPI_SUCCESS) return VDMC_OK;
  va_list ap;
  va_start(ap, fmt);
  int status = mpi_fail_va(rc, src, line, fmt, ap);
  va_end(ap);
  return status;
}

int vdmc_mpi_init(int *argc, char ***argv, VdmcComm *c) {
  int provided = 0, initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) MPI_TRY(MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided));
  else MPI_TRY(MPI_Query_thread(&provided));
  MPI_TRY(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  c->comm = MPI_COMM_WORLD;
  c->thread_level = provided;
  MPI_TRY(MPI_Comm_rank(c->comm, &c->rank));
  MPI_TRY(MPI_Comm_size(c->comm, &c->size));
  return VDMC_OK;
}

int vdmc_mpi_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_TRY(MPI_Finalize());
  return VDMC_OK;
}

int vdmc_mpi_world_rank(void) {
  int init = 0, rank = 0;
  if (MPI_Initialized(&init) != MPI_SUCCESS || !init) return 0;
  if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS) return 0;
  return rank;
}

void vdmc_mpi_abort(const VdmcComm *c, const char *what) {
  fprintf(stderr, "vdmc [rank %d/%d]: %s: %s\n", c->rank, c->size, what, vdmc_error_message());
  fflush(stderr);
  MPI_Abort(c->comm, 1);
}
