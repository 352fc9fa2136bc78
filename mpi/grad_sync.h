// Gradient synchronisation over data-parallel ranks (docs/design.md, Collectives are few and named).
//
// zero_stage 0: the flat gradient buffer is cut into buckets of about
// `bucket_floats`, in reverse table order (the last layers' gradients are final
// first in backward). As backward reports "everything from offset X on is final"
// (grad_sync_ready_from), each bucket lying wholly in [X, total) is launched with
// MPI_Iallreduce(SUM) and outstanding requests are tested so Open MPI progresses
// them while backward continues; grad_sync_finish launches the rest and waits.
// Every rank builds the same buckets from the same table, so the order matches.
//
// zero_stage 1: after backward one MPI_Reduce_scatter_block leaves each rank the
// summed gradient of its contiguous shard; the rank updates Adam state and weights
// of the shard only, and grad_sync_allgather_params rebuilds the full weights.
// The buffer is padded to a multiple of P floats (shards padded, never disabled).
#ifndef VDMC_MPI_GRAD_SYNC_H
#define VDMC_MPI_GRAD_SYNC_H

#include <mpi.h>
#include <stddef.h>

#include "core/param_table.h"

typedef struct {
  size_t begin, end;  // float range [begin, end) of the flat buffer
  MPI_Request req;
  int launched;
} GradBucket;

typedef struct {
  MPI_Comm comm;
  int rank, size;
  int zero_stage;
  float *grads;              // (total)
  size_t total;              // padded length of the flat buffers
  GradBucket *buckets;       // buckets[0] ends at `total`; later ones lie lower
  int n_buckets;
  int next;                  // next bucket to launch this step
  size_t shard_begin, shard_len;  // this rank's shard (zero_stage 1; whole buffer otherwise)
  double wait_seconds;       // time spent blocked in grad_sync_finish this step
  double launched_before_finish;  // fraction of floats launched during backward
} GradSync;

// Length the flat buffers (params, grads, Adam, EMA) must have: the table total
// rounded up to a multiple of the rank count.
size_t grad_sync_padded_total(const ParamTable *t, int size);

int grad_sync_init(GradSync *g, MPI_Comm comm, const ParamTable *t, float *grads,
                   size_t bucket_floats, int zero_stage);
void grad_sync_begin(GradSync *g);
// Gradients at offsets [offset, total) are final for this step.
int grad_sync_ready_from(GradSync *g, size_t offset);
// Completes the reduction: zero_stage 0 -> grads hold the sum over ranks;
// zero_stage 1 -> grads[shard_begin, shard_begin + shard_len) hold it.
int grad_sync_finish(GradSync *g);
// zero_stage 1: every rank's shard of params -> the full params on every rank.
int grad_sync_allgather_params(GradSync *g, float *params);
void grad_sync_free(GradSync *g);

#endif
