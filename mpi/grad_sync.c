#define _POSIX_C_SOURCE 200809L  // clock_gettime, pthread_condattr_setclock
#include "mpi/grad_sync.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/status.h"
#include "mpi/bf16_sum.h"
#include "mpi/comm.h"
#include "ops/bf16.h"

size_t grad_sync_padded_total(const ParamTable *t, int size) {
  size_t p = (size_t)size;
  return (t->total + p - 1) / p * p;
}

int grad_sync_plan_buckets(const ParamTable *t, size_t total, size_t bucket_floats, GradBucket *out) {
  if (bucket_floats < 1) bucket_floats = 1;
  int n = 0;
  // Walk tensors from the last to the first, closing a bucket once it is big enough
  // (or would overflow MPI's int count).
  size_t end = total;
  for (size_t i = t->count; i-- > 0;) {
    size_t begin = t->items[i].offset;
    if (end - begin >= bucket_floats || i == 0 || end - t->items[i - 1].offset > INT_MAX) {
      out[n].begin = begin;
      out[n].end = end;
      n++;
      end = begin;
    }
  }
  return n;
}

// The buckets are progressed by a thread only where there are buckets in flight
// during backward: zero_stage 0 over more than one rank.
static int uses_thread(const GradSync *g) {
  return g->progress == GRAD_SYNC_PROGRESS_THREAD && g->zero_stage == 0 && g->size > 1;
}

static int init_thread_sync(GradSync *g) {
  pthread_condattr_t attr;
  int err = pthread_condattr_init(&attr);
  if (!err) {
    // The sleep's deadline is on the monotonic clock: a clock step cannot stretch it.
    err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!err) err = pthread_cond_init(&g->wake, &attr);
    pthread_condattr_destroy(&attr);
  }
  if (!err && (err = pthread_mutex_init(&g->lock, NULL))) pthread_cond_destroy(&g->wake);
  if (err) return vdmc_fail(VDMC_ERR_INTERNAL, "cannot set up the gradient progress thread's lock: %s", strerror(err));
  g->sync_objects = 1;
  return VDMC_OK;
}

int grad_sync_init(GradSync *g, MPI_Comm comm, const ParamTable *t, float *grads,
                   size_t bucket_floats, int zero_stage, GradSyncProgress progress,
                   GradSyncPrecision precision) {
  memset(g, 0, sizeof *g);
  g->progress = progress;
  g->precision = precision;
  g->comm = comm;
  MPI_TRY(MPI_Comm_rank(comm, &g->rank));
  MPI_TRY(MPI_Comm_size(comm, &g->size));
  g->zero_stage = zero_stage;
  g->grads = grads;
  g->total = grad_sync_padded_total(t, g->size);
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
  g->n_buckets = grad_sync_plan_buckets(t, g->total, bucket_floats, g->buckets);
  if (precision == GRAD_SYNC_BF16 && g->size > 1) {
    int rc = bf16_sum_create(&g->bf16_sum);
    if (rc) return rc;
    g->bf16_objects = 1;
    g->wire = malloc(g->total * sizeof *g->wire);
    if (!g->wire) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the bf16 gradient reduction buffer");
  }
  if (zero_stage == 0 && g->size > 1) {
    int rc = iallreduce_algorithm_choose(comm, &g->algorithm);
    if (rc) return rc;
  }
  if (!uses_thread(g)) return VDMC_OK;
  // The thread calls MPI_Test while the main thread makes other MPI calls.
  int level = MPI_THREAD_SINGLE;
  MPI_TRY(MPI_Query_thread(&level));
  if (level < MPI_THREAD_MULTIPLE)
    return vdmc_fail(VDMC_ERR_INPUT, "mpi.progress: thread needs MPI_THREAD_MULTIPLE, which this MPI library does not "
                     "provide; set mpi.progress: calls");
  return init_thread_sync(g);
}

void grad_sync_begin(GradSync *g) {
  g->next = 0;
  g->wait_seconds = 0;
  g->launched_before_finish = 0;
  g->thread_err = MPI_SUCCESS;
  for (int b = 0; b < g->n_buckets; b++) g->buckets[b].launched = 0;
}

// What the collectives reduce for floats [begin, begin + n) of grads: those floats
// themselves (fp32), or their bf16 rounding, written into `wire` now (bf16).
typedef struct {
  void *buf;
  MPI_Datatype type;
  MPI_Op op;
} WireSlice;

static WireSlice wire_slice(GradSync *g, size_t begin, size_t n) {
  if (g->precision == GRAD_SYNC_FP32) return (WireSlice){g->grads + begin, MPI_FLOAT, MPI_SUM};
  pack_bf16(g->wire + begin, g->grads + begin, n);
  return (WireSlice){g->wire + begin, MPI_UINT16_T, g->bf16_sum};
}

// The reduced wire elements [from, from + n) -> grads[to, to + n).
static void unwire(GradSync *g, size_t to, size_t from, size_t n) {
  if (g->precision == GRAD_SYNC_BF16) widen_bf16(g->grads + to, g->wire + from, n);
  else if (to != from) memmove(g->grads + to, g->grads + from, n * sizeof(float));
}

static int launch(GradSync *g, GradBucket *b) {
  size_t n = b->end - b->begin;
  WireSlice w = wire_slice(g, b->begin, n);
  MPI_TRY(MPI_Iallreduce(MPI_IN_PLACE, w.buf, (int)n, w.type, w.op, g->comm, &b->req));
  b->launched = 1;
  return VDMC_OK;
}

// MPI_Test every launched bucket still in flight, so Open MPI progresses them (it
// moves a non-blocking collective's bytes only inside MPI calls); the first MPI error.
static int test_in_flight(GradSync *g) {
  for (int b = 0; b < g->next; b++) {
    if (g->buckets[b].req == MPI_REQUEST_NULL) continue;  // completed by an earlier test
    int done = 0, err = MPI_Test(&g->buckets[b].req, &done, MPI_STATUS_IGNORE);
    if (err != MPI_SUCCESS) return err;
  }
  return MPI_SUCCESS;
}

// The progress thread: MPI_Test every bucket in flight, sleep GRAD_SYNC_POLL_US
// (or until grad_sync_finish signals `stop`), again. Holds `lock` except while asleep.
static void *progress_main(void *arg) {
  GradSync *g = arg;
  pthread_mutex_lock(&g->lock);
  while (!g->stop && g->thread_err == MPI_SUCCESS) {
    g->thread_err = test_in_flight(g);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += GRAD_SYNC_POLL_US * 1000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    while (!g->stop && pthread_cond_timedwait(&g->wake, &g->lock, &until) != ETIMEDOUT) {
    }
  }
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

// Called with `lock` held, after the step's first launch.
static int start_thread(GradSync *g) {
  g->stop = 0;
  int err = pthread_create(&g->thread, NULL, progress_main, g);
  if (err) return vdmc_fail(VDMC_ERR_INTERNAL, "cannot start the gradient progress thread: %s", strerror(err));
  g->thread_running = 1;
  return VDMC_OK;
}

// Stops and joins the step's progress thread; returns the MPI error it met, if any.
static int stop_thread(GradSync *g) {
  if (!g->thread_running) return VDMC_OK;
  pthread_mutex_lock(&g->lock);
  g->stop = 1;
  pthread_cond_signal(&g->wake);
  pthread_mutex_unlock(&g->lock);
  pthread_join(g->thread, NULL);
  g->thread_running = 0;
  if (g->thread_err != MPI_SUCCESS)
    return mpi_fail(g->thread_err, __FILE__, __LINE__, "MPI_Test of a gradient bucket in the progress thread");
  return VDMC_OK;
}

static int launch_ready(GradSync *g, size_t offset) {
  while (g->next < g->n_buckets && g->buckets[g->next].begin >= offset) {
    int rc = launch(g, &g->buckets[g->next]);
    if (rc) return rc;
    g->next++;
  }
  return VDMC_OK;
}

int grad_sync_ready_from(GradSync *g, size_t offset) {
  if (g->zero_stage != 0 || g->size == 1) return VDMC_OK;
  if (uses_thread(g)) {
    pthread_mutex_lock(&g->lock);
    int rc = launch_ready(g, offset);
    if (!rc && g->next > 0 && !g->thread_running) rc = start_thread(g);
    pthread_mutex_unlock(&g->lock);
    return rc;
  }
  int rc = launch_ready(g, offset);
  if (rc) return rc;
  MPI_TRY(test_in_flight(g));
  return VDMC_OK;
}

int grad_sync_in_flight(GradSync *g) {
  int threaded = uses_thread(g) && g->thread_running, n = 0;
  if (threaded) pthread_mutex_lock(&g->lock);
  for (int b = 0; b < g->next; b++) n += g->buckets[b].req != MPI_REQUEST_NULL;
  if (threaded) pthread_mutex_unlock(&g->lock);
  return n;
}

int grad_sync_finish(GradSync *g) {
  if (g->size == 1) return VDMC_OK;
  double t0 = MPI_Wtime();
  if (g->zero_stage == 1) {
    WireSlice w = wire_slice(g, 0, g->total);
    MPI_TRY(MPI_Reduce_scatter_block(MPI_IN_PLACE, w.buf, (int)g->shard_len, w.type, w.op, g->comm));
    // MPI_IN_PLACE leaves the rank's result at the start of the buffer; move it to its shard.
    unwire(g, g->shard_begin, 0, g->shard_len);
    g->wait_seconds = MPI_Wtime() - t0;
    return VDMC_OK;
  }
  // From here on this thread alone touches the requests (MPI_Wait progresses them).
  int rc = stop_thread(g);
  if (rc) return rc;
  size_t early = 0;
  for (int b = 0; b < g->next; b++) early += g->buckets[b].end - g->buckets[b].begin;
  g->launched_before_finish = (double)early / (double)g->total;
  if ((rc = launch_ready(g, 0))) return rc;
  for (int b = 0; b < g->n_buckets; b++) {
    GradBucket *k = &g->buckets[b];
    MPI_TRY(MPI_Wait(&k->req, MPI_STATUS_IGNORE));
    unwire(g, k->begin, k->begin, k->end - k->begin);
  }
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
  // A step that failed between its first launch and grad_sync_finish left the thread running.
  (void)stop_thread(g);
  if (g->sync_objects) {
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
  }
  // Cleanup of an op that was created: nothing to report to if it failed.
  if (g->bf16_objects) (void)MPI_Op_free(&g->bf16_sum);
  free(g->wire);
  free(g->buckets);
  memset(g, 0, sizeof *g);
}
