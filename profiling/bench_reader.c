// Reader throughput and prefetch overlap, from the page cache.
//   mpirun -n P profiling/bench_reader [DATASET.h5] [GLOBAL_BATCH]
// Without a file it writes a synthetic 64x64x3 dataset of 2048 examples (25 MB) to
// /tmp first. Prints, per rank:
//   1. sequential: dataset_read_range over consecutive examples (the baseline: one
//      hyperslab per batch, the cheapest possible read);
//   2. shuffled:   reader_next without prefetch (random order, runs coalesced,
//      uint8 -> float and flips), as examples/s and as a ratio to (1);
//   3. overlap:    each step also "computes" for as long as a read takes, either
//      idle (nanosleep: a free core for the reader thread) or busy (spinning:
//      the thread competes for cores); the step time with prefetch vs without
//      (the baseline) and the fraction of the read hidden.
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/status.h"
#include "io/dataset_write.h"
#include "io/h5_check.h"
#include "io/reader.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

// The stand-in for a training step: busy (competes for a core with the reader
// thread, like a CPU U-Net step) or idle (a step waiting on other ranks, or the
// case of a free core per reader thread).
static void compute(double seconds, int busy) {
  if (!busy) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&t, NULL);
    return;
  }
  double end = now() + seconds;
  volatile double x = 0;
  while (now() < end) x += 1;
}

static int write_synthetic(const char *path, size_t n) {
  DatasetSpec spec = {"bench", "bench_reader synthetic", n, 64, 64, 3, 10};
  DatasetWriter w;
  int status = dataset_writer_create(&w, path, &spec);
  size_t ex = 64 * 64 * 3, block = 256;
  uint8_t *img = malloc(block * ex);
  int32_t lab[256];
  for (size_t i = 0; !status && i < n; i += block) {
    for (size_t k = 0; k < block * ex; k++) img[k] = (uint8_t)(k * 7 + i);
    for (size_t k = 0; k < block; k++) lab[k] = (int32_t)((i + k) % 10);
    status = dataset_writer_append(&w, img, lab, n - i < block ? n - i : block);
  }
  free(img);
  return status ? status : dataset_writer_commit(&w);
}

// Seconds per step of `steps` reader_next calls, each followed by `compute` seconds.
static double time_steps(const ReaderConfig *cfg, size_t steps, double work, int busy, size_t *local_b) {
  Reader *r = NULL;
  if (reader_open(&r, cfg, 0)) {
    fprintf(stderr, "bench_reader: %s\n", vdmc_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  const Dataset *ds = reader_dataset(r);
  size_t b = reader_local_batch(r);
  float *img = malloc(b * ds->h * ds->w * ds->c * sizeof *img);
  int32_t *lab = malloc(b * sizeof *lab);
  reader_next(r, img, lab);  // warm-up step (page cache, thread start)
  double t0 = now();
  for (size_t s = 0; s < steps; s++) {
    if (reader_next(r, img, lab)) MPI_Abort(MPI_COMM_WORLD, 1);
    if (work > 0) compute(work, busy);
  }
  double t = (now() - t0) / steps;
  reader_close(r);
  free(img), free(lab);
  *local_b = b;
  return t;
}

int main(int argc, char **argv) {
  int provided, rank, size;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  h5_quiet();
  const char *path = argc > 1 ? argv[1] : "/tmp/vdmc-bench-reader.h5";
  size_t batch = argc > 2 ? (size_t)atol(argv[2]) : 128;
  if (argc <= 1 && rank == 0 && access(path, F_OK) != 0 && write_synthetic(path, 2048)) {
    fprintf(stderr, "bench_reader: %s\n", vdmc_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  // 1. sequential baseline: this rank's share of consecutive examples per batch.
  Dataset ds;
  if (dataset_open(&ds, path, MPI_COMM_WORLD)) {
    fprintf(stderr, "bench_reader: %s\n", vdmc_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  size_t lo = (size_t)rank * batch / size, b = (size_t)(rank + 1) * batch / size - lo;
  size_t ex = ds.h * ds.w * ds.c, steps = 4 * ds.n / batch;
  uint8_t *raw = malloc(b * ex);
  int32_t *lab = malloc(b * sizeof *lab);
  double t0 = now();
  for (size_t s = 0; s < steps; s++) dataset_read_range(&ds, (s * batch + lo) % (ds.n - b), b, raw, lab);
  double t_seq = (now() - t0) / steps;
  size_t n = ds.n;
  dataset_close(&ds);
  free(raw), free(lab);

  // 2. shuffled reads through the reader, synchronous.
  ReaderConfig cfg = {path, MPI_COMM_WORLD, batch, 7, 1, 0};
  size_t lb;
  double t_read = time_steps(&cfg, steps, 0, 0, &lb);
  // 3. overlap: a step as long as a read, idle or busy; without and with prefetch.
  double t_off[2], t_on[2];
  for (int busy = 0; busy < 2; busy++) {
    cfg.prefetch = 0;
    t_off[busy] = time_steps(&cfg, steps, t_read, busy, &lb);
    cfg.prefetch = 1;
    t_on[busy] = time_steps(&cfg, steps, t_read, busy, &lb);
  }

  for (int p = 0; p < size; p++) {
    if (p == rank) {
      printf("rank %d/%d: %s N=%zu %zux%zux%zu, global batch %zu, local %zu, %zu steps\n", rank, size, path, n,
             ds.h, ds.w, ds.c, batch, lb, steps);
      printf("  sequential (baseline)  %9.0f examples/s  (%.3f ms/batch)\n", b / t_seq, 1e3 * t_seq);
      printf("  shuffled reader        %9.0f examples/s  (%.3f ms/batch)  ratio to baseline %.2f\n", lb / t_read,
             1e3 * t_read, t_seq / t_read);
      for (int busy = 0; busy < 2; busy++)
        printf("  step = read + %s %.3f ms: no prefetch %.3f ms, prefetch %.3f ms -> %.0f%% of the read hidden\n",
               busy ? "busy compute" : "idle wait   ", 1e3 * t_read, 1e3 * t_off[busy], 1e3 * t_on[busy],
               100 * (t_off[busy] - t_on[busy]) / t_read);
      fflush(stdout);
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  MPI_Finalize();
  return 0;
}
