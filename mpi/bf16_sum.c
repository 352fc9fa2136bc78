#include "mpi/bf16_sum.h"

#include <stdint.h>

#include "core/status.h"
#include "mpi/comm.h"
#include "ops/bf16.h"

// MPI's signature for a user reduction: inout[i] = in[i] (+) inout[i].
static void bf16_sum_fn(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;  // only ever MPI_UINT16_T holding bf16 bits (grad_sync.c)
  add_bf16(inout, in, (size_t)*len);
}

int bf16_sum_create(MPI_Op *op) {
  // Commutative: a + b and b + a are the same float32, so the same bf16; MPI may then
  // pick the same algorithms as for MPI_SUM. The order of the hops (the tree) stays
  // fixed for a given P, so results are reproducible.
  MPI_TRY(MPI_Op_create(bf16_sum_fn, 1, op));
  return VDMC_OK;
}
