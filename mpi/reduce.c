#include "mpi/reduce.h"

#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

int reduce_sum_doubles(double *values, int n, MPI_Comm comm) {
  MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, comm));
  return VDMC_OK;
}

// User reduction over (sum, min, max) triplets so all three travel in one call.
static void metric_op(void *in, void *inout, int *len, MPI_Datatype *type) {
  const MetricStat *a = in;
  MetricStat *b = inout;
  for (int i = 0; i < *len; i++) {
    b[i].sum += a[i].sum;
    if (a[i].min < b[i].min) b[i].min = a[i].min;
    if (a[i].max > b[i].max) b[i].max = a[i].max;
  }
}

int reduce_metrics(const double *local, MetricStat *out, int n, MPI_Comm comm) {
  for (int i = 0; i < n; i++) out[i] = (MetricStat){local[i], local[i], local[i]};
  MPI_Datatype triplet;
  MPI_Op op;
  MPI_TRY(MPI_Type_contiguous(3, MPI_DOUBLE, &triplet));
  MPI_TRY(MPI_Type_commit(&triplet));
  MPI_TRY(MPI_Op_create(metric_op, 1, &op));
  int err = MPI_Allreduce(MPI_IN_PLACE, out, n, triplet, op, comm);
  MPI_Op_free(&op);
  MPI_Type_free(&triplet);
  if (err != MPI_SUCCESS) return mpi_fail(err, __FILE__, __LINE__, "MPI_Allreduce(metrics)");
  return VDMC_OK;
}
