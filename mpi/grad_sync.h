// Gradient synchronisation over data-parallel ranks (docs/design.md, Collectives are few and named).
//
// zero_stage 0: the flat gradient buffer is cut into buckets of about
// `bucket_floats`, in reverse table order (the last layers' gradients are final
// first in backward). As backward reports "everything from offset X on is final"
// (grad_sync_ready_from), each bucket lying wholly in [X, total) is launched with
// MPI_Iallreduce(SUM), whose algorithm grad_sync_init chooses at P = 2 (libnbc's
// ring, mpi/iallreduce_algorithm.h: a process-wide setting of Open MPI). Open MPI
// moves a non-blocking collective's bytes only inside MPI calls, so something must
// call MPI while backward computes (mpi.progress):
//   GRAD_SYNC_PROGRESS_THREAD: a thread, started at the first launch of a step and
//     joined in grad_sync_finish, MPI_Tests the buckets in flight every
//     GRAD_SYNC_POLL_US microseconds (sleeping in between: a rank may have one core);
//   GRAD_SYNC_PROGRESS_CALLS: the requests are tested only when backward reports a
//     watermark, so on a slow link most bytes move in grad_sync_finish.
// grad_sync_finish launches the rest and waits. Every rank builds the same buckets
// from the same table and launches them in the same order with the same operation,
// so the sums are bit-identical whichever mode progresses them.
//
// zero_stage 1: after backward one MPI_Reduce_scatter_block leaves each rank the
// summed gradient of its contiguous shard; the rank updates Adam state and weights
// of the shard only, and grad_sync_allgather_params rebuilds the full weights.
// The buffer is padded to a multiple of P floats (shards padded, never disabled).
//
// precision GRAD_SYNC_BF16 (mpi.reduce_precision: bf16): the same buckets and
// collectives carry bf16 instead of float32, half the bytes. A bucket is rounded
// into `wire` when it is launched, reduced in place there with `bf16_sum` (each hop
// adds two bf16 in float32 and rounds back, mpi/bf16_sum.h), and widened back into
// grads when it completes. The error bound of the result is in docs/mpi.md.
#ifndef VDMC_MPI_GRAD_SYNC_H
#define VDMC_MPI_GRAD_SYNC_H

#include <mpi.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/param_table.h"
#include "mpi/iallreduce_algorithm.h"

typedef struct {
  size_t begin, end;  // float range [begin, end) of the flat buffer
  MPI_Request req;
  int launched;
} GradBucket;

typedef enum { GRAD_SYNC_PROGRESS_THREAD, GRAD_SYNC_PROGRESS_CALLS } GradSyncProgress;

// The element type of the gradient sum on the wire (config key mpi.reduce_precision).
typedef enum { GRAD_SYNC_FP32, GRAD_SYNC_BF16 } GradSyncPrecision;

// Sleep between two rounds of MPI_Test in the progress thread: at 1 Gb/s the
// kernel's socket buffers (a few hundred KB) drain in a few ms, so 200 us keeps the
// link busy; each round costs a few us of CPU (about 1% of a core).
enum { GRAD_SYNC_POLL_US = 200 };

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
  GradSyncProgress progress;
  GradSyncPrecision precision;
  IallreduceAlgorithm algorithm;  // what runs the buckets' MPI_Iallreduce (zero_stage 0, size > 1)
  uint16_t *wire;            // (total) bf16 bits of the gradient being reduced (GRAD_SYNC_BF16 only)
  MPI_Op bf16_sum;           // the reduction of `wire` (GRAD_SYNC_BF16 only)
  int bf16_objects;          // bf16_sum was created (GRAD_SYNC_BF16 over more than one rank)
  // The progress thread of this step. `lock` guards buckets[0..next) (their requests and
  // `next`), `stop` and `thread_err`: MPI forbids two threads using one request at once.
  pthread_mutex_t lock;
  pthread_cond_t wake;       // signalled to stop the thread before its sleep ends
  pthread_t thread;
  int thread_running, stop;
  int thread_err;            // first MPI error code of MPI_Test in the thread (MPI_SUCCESS if none)
  int sync_objects;          // lock and wake were initialised
} GradSync;

// Length the flat buffers (params, grads, Adam, EMA) must have: the table total
// rounded up to a multiple of the rank count.
size_t grad_sync_padded_total(const ParamTable *t, int size);

// Cuts [0, total) at tensor boundaries into buckets of about `bucket_floats`, from the
// end down (the order backward finishes them): buckets[0] ends at `total`. Writes at
// most t->count + 1 buckets to `out` and returns how many. grad_sync_init's plan, and
// profiling/scaling_model's.
int grad_sync_plan_buckets(const ParamTable *t, size_t total, size_t bucket_floats, GradBucket *out);

int grad_sync_init(GradSync *g, MPI_Comm comm, const ParamTable *t, float *grads,
                   size_t bucket_floats, int zero_stage, GradSyncProgress progress,
                   GradSyncPrecision precision);
void grad_sync_begin(GradSync *g);
// Gradients at offsets [offset, total) are final for this step.
int grad_sync_ready_from(GradSync *g, size_t offset);
// Launched buckets whose requests have not completed, read without calling MPI:
// shows whether anything progresses them between MPI calls of this thread.
int grad_sync_in_flight(GradSync *g);
// Completes the reduction: zero_stage 0 -> grads hold the sum over ranks;
// zero_stage 1 -> grads[shard_begin, shard_begin + shard_len) hold it.
int grad_sync_finish(GradSync *g);
// zero_stage 1: every rank's shard of params -> the full params on every rank.
int grad_sync_allgather_params(GradSync *g, float *params);
void grad_sync_free(GradSync *g);

#endif
