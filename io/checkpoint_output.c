// checkpoint_write_output: a checkpoint-format file that is not one of a run's
// checkpoints (post-hoc EMA snapshots and reconstructions) written under the output
// policy of every other vdmc output (core/output_file.h): rank 0 checks the target
// and names the temporary, all ranks create it exclusively and write it collectively
// (checkpoint_write_file), and rank 0 renames it over the target only when every
// rank succeeded.
#include <stdio.h>

#include "core/output_file.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

int checkpoint_write_output(const char *path, const CheckpointState *st, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  OutputFile out = {0};
  int rc = rank == 0 ? output_file_begin(&out, path) : VDMC_OK;
  if ((rc = mpi_agree(comm, rc))) return rc;
  MPI_TRY(MPI_Bcast(out.tmp_path, sizeof out.tmp_path, MPI_CHAR, 0, comm));  // rank 0's name (its pid)
  rc = checkpoint_write_file(out.tmp_path, st, 1, comm);
  if (rank == 0) rc = output_file_end(&out, rc);  // renames, or removes the temporary
  return mpi_agree(comm, rc);
}
