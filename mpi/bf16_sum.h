// The MPI reduction of bf16 gradients (mpi.reduce_precision: bf16, docs/mpi.md): each
// element travels as its 16 bf16 bits (MPI_UINT16_T), and each hop of the reduction
// adds two of them in float32 and rounds the sum back to bf16 (ops/bf16.h add_bf16).
#ifndef VDMC_MPI_BF16_SUM_H
#define VDMC_MPI_BF16_SUM_H

#include <mpi.h>

// Creates the commutative MPI_Op on MPI_UINT16_T elements (free it with MPI_Op_free).
int bf16_sum_create(MPI_Op *op);

#endif
