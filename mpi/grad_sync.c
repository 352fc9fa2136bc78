#include "mpi/grad_sync.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "mpi/comm.h"

size_t grad_sync_padded_total(const ParamTable *t, int size) {
  size_t p = (size_t)size;
  return (t->total + p - 1) / p * p;
}

int grad_sync_init(GradSync *g, MPI_Comm comm, const ParamTable *t, float *grads,
                   size_t bucket_floats, int zero_stage) {
  memset(g, 0, sizeof *g);
  g->comm = comm;
  MPI_TRY(MPI_Comm_rank(comm, &g->rank));
  MPI_TRY(MPI_Comm_size(comm, &g->size));
  g->zero_stage = zero_stage;
  g->grads = grads;
  g->total = grad_sync_padded_total(t, g->size);
  if (bucket_floats < 1) bucket_floats = 1;
  if (zero_stage == 1) {
    g->shard_len = g->total / (size_t)g->size;
    g->shard_begin = g->shard_len * (size_t)g->rank;
    if (g->shard_len > INT_MAX)
      return vdmc_fail(VDMC_ERR_INPUT, "ZeRO shard of %zu floats exceeds MPI's int count; use more ranks",
                       g->shard_len);
  } else {
    g->shard_begin = 0;
    g->shard_len = g->total;
  }
  g->buckets = calloc(t->count + 1, sizeof *g->buckets);
  if (!g->buckets) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for gradient buckets");
  // Walk tensors from the last to the first, closing a bucket once it is big enough
  // (or would overflow MPI's int count).
  size_t end = g->total;
  for (size_t i = t->count; i-- > 0;) {
    size_t begin = t->items[i].offset;
    if (end - begin >= bucket_floats || i == 0 || end - t->items[i - 1].offset > INT_MAX) {
      g->buckets[g->n_buckets].begin = begin;
      g->buckets[g->n_buckets].end = end;
      g->n_buckets++;
      end = begin;
    }
  }
  return VDMC_OK;
}

void grad_sync_begin(GradSync *g) {
  g->next = 0;
  g->wait_seconds = 0;
  g->launched_before_finish = 0;
  for (int b = 0; b < g->n_buckets; b++) g->buckets[b].launched = 0;
}

static int launch(GradSync *g, GradBucket *b) {
  MPI_TRY(MPI_Iallreduce(MPI_IN_PLACE, g->grads + b->begin, (int)(b->end - b->begin), MPI_FLOAT,
                         MPI_SUM, g->comm, &b->req));
  b->launched = 1;
  return VDMC_OK;
}

int grad_sync_ready_from(GradSync *g, size_t offset) {
  if (g->zero_stage != 0 || g->size == 1) return VDMC_OK;
  while (g->next < g->n_buckets && g->buckets[g->next].begin >= offset) {
    int rc = launch(g, &g->buckets[g->next]);
    if (rc) return rc;
    g->next++;
  }
  // Drive progress of what is in flight (Open MPI progresses inside MPI calls).
  for (int b = 0; b < g->next; b++) {
    if (g->buckets[b].req == MPI_REQUEST_NULL) continue;
    int done = 0;
    MPI_TRY(MPI_Test(&g->buckets[b].req, &done, MPI_STATUS_IGNORE));
  }
  return VDMC_OK;
}

int grad_sync_finish(GradSync *g) {
  if (g->size == 1) return VDMC_OK;
  double t0 = MPI_Wtime();
  if (g->zero_stage == 1) {
    MPI_TRY(MPI_Reduce_scatter_block(MPI_IN_PLACE, g->grads, (int)g->shard_len, MPI_FLOAT, MPI_SUM,
                                     g->comm));
    // MPI_IN_PLACE leaves the rank's result at the start of the buffer; move it to its shard.
    if (g->shard_begin) memmove(g->grads + g->shard_begin, g->grads, g->shard_len * sizeof(float));
    g->wait_seconds = MPI_Wtime() - t0;
    return VDMC_OK;
  }
  size_t early = 0;
  for (int b = 0; b < g->next; b++) early += g->buckets[b].end - g->buckets[b].begin;
  g->launched_before_finish = (double)early / (double)g->total;
  while (g->next < g->n_buckets) {
    int rc = launch(g, &g->buckets[g->next]);
    if (rc) return rc;
    g->next++;
  }
  for (int b = 0; b < g->n_buckets; b++) MPI_TRY(MPI_Wait(&g->buckets[b].req, MPI_STATUS_IGNORE));
  g->wait_seconds = MPI_Wtime() - t0;
  return VDMC_OK;
}

int grad_sync_allgather_params(GradSync *g, float *params) {
  if (g->zero_stage != 1 || g->size == 1) return VDMC_OK;
  MPI_TRY(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, params, (int)g->shard_len, MPI_FLOAT,
                        g->comm));
  return VDMC_OK;
}

void grad_sync_free(GradSync *g) {
  free(g->buckets);
  memset(g, 0, sizeof *g);
}
