#include "mpi_test.h"

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/status.h"

void mpi_test_init(int *argc, char ***argv, VdmcComm *c) {
  if (vdmc_mpi_init(argc, argv, c)) {
    fprintf(stderr, "%s\n", vdmc_error_message());
    exit(1);
  }
}

int mpi_test_finish(const VdmcComm *c, const char *suite) {
  char name[96];
  snprintf(name, sizeof name, "%s[rank %d/%d]", suite, c->rank, c->size);
  int worst = check_finish(name);
  MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, c->comm);
  vdmc_mpi_finalize();
  return worst;
}

void mpi_test_param_table(ParamTable *t, size_t base, size_t stride, size_t spread) {
  param_table_init(t);
  for (size_t i = 0; i < 23; i++) {
    char name[32];
    size_t shape[1] = {base + (i * stride) % spread};
    snprintf(name, sizeof name, "t%zu", i);
    param_table_add(t, name, 1, shape, 1, NULL);
  }
}
