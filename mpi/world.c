#define _POSIX_C_SOURCE 200809L  // gethostname
#include "mpi/world.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "mpi/agree.h"

enum { HOST_LEN = 64 };

// The task count this rank may trust, or 0 when its environment says nothing about
// this MPI job. srun --mpi=pmix: SLURM_NTASKS is the step's task count, one task per
// rank. Open MPI's mpirun: ranks it started on its own node inherit its environment
// (inside a batch script, the job's SLURM_NTASKS); ranks on other nodes were started
// by an orted daemon that mpirun launched with `srun --nodes=1 --ntasks=1 ... orted`,
// so their SLURM_NTASKS (and SLURM_NNODES) describe that daemon step: 1. Such a rank
// is recognized by its local daemon not being mpirun itself (orte_local_daemon_uri
// differs from orte_hnp_uri) and has no opinion.
static int trusted_slurm_ntasks(void) {
  const char *ntasks = getenv("SLURM_NTASKS");
  if (!ntasks || !*ntasks) return 0;
  const char *hnp = getenv("OMPI_MCA_orte_hnp_uri"), *daemon = getenv("OMPI_MCA_orte_local_daemon_uri");
  if (hnp && daemon && strcmp(hnp, daemon)) return 0;
  return atoi(ntasks);
}

int world_check_slurm_tasks(const VdmcComm *c) {
  int n = trusted_slurm_ntasks(), status = VDMC_OK;
  if (n && n != c->size)
    status = vdmc_fail(VDMC_ERR_INPUT, "MPI world size %d differs from SLURM_NTASKS=%d (seen by rank %d): start vdmc "
                       "with mpirun or srun --mpi=pmix inside the allocation", c->size, n, c->rank);
  return mpi_agree(c->comm, status);
}

int world_report_hosts(const VdmcComm *c, FILE *out, const char *prefix) {
  char mine[HOST_LEN] = "?";
  if (gethostname(mine, sizeof mine)) strcpy(mine, "?");
  mine[HOST_LEN - 1] = 0;
  char *all = c->rank == 0 ? malloc((size_t)c->size * HOST_LEN) : NULL;
  int oom = c->rank == 0 && !all;
  MPI_TRY(MPI_Bcast(&oom, 1, MPI_INT, 0, c->comm));
  if (oom) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %d hostnames", c->size);
  int rc = MPI_STATUS(MPI_Gather(mine, HOST_LEN, MPI_CHAR, all, HOST_LEN, MPI_CHAR, 0, c->comm),
                      "MPI_Gather of hostnames");
  if (rc) {
    free(all);
    return rc;
  }
  if (c->rank == 0) {
    // one entry per run of consecutive ranks on the same host
    fprintf(out, "%sranks on hosts:", prefix);
    for (int r = 0; r < c->size;) {
      int e = r;
      while (e + 1 < c->size && !strcmp(all + (size_t)(e + 1) * HOST_LEN, all + (size_t)r * HOST_LEN)) e++;
      fprintf(out, "%s %s %d", r ? "," : "", all + (size_t)r * HOST_LEN, r);
      if (e > r) fprintf(out, "-%d", e);
      r = e + 1;
    }
    fprintf(out, "\n");
    free(all);
  }
  return VDMC_OK;
}
