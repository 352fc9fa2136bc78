// Sharded, prefetching training reader over a vdmc dataset file (docs/data.md).
//
// Order: global example slot g = step * B + i (i < B, the global batch) reads
// dataset index perm_e(g mod N) with epoch e = g / N, where perm_e is a pseudo-
// random permutation of [0, N) keyed by (seed, e) (reader_index). Every epoch is N
// consecutive slots, so each example is read exactly once per epoch whatever B and P
// are; a batch may straddle two epochs. Rank r of P reads slots [rB/P, (r+1)B/P) of
// each step, so what rank r sees does not depend on anything but (seed, step, r, P)
// and the union over ranks does not depend on P at all. Resume = open at a step.
//
// Threads: with prefetch on, one reader thread is the only thread that makes HDF5
// calls between reader_open and reader_close (HDF5 is not thread-safe; the parallel
// build has no global lock). It issues MPI-IO reads while the caller runs collectives,
// so MPI must be initialised with MPI_THREAD_MULTIPLE (checked at open). Before any
// other HDF5 use (checkpoint writes) call reader_quiesce.
//
// Legend: B global batch, b = local batch of this rank, H/W/C example shape.
#ifndef VDMC_IO_READER_H
#define VDMC_IO_READER_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "io/dataset.h"

typedef struct {
  const char *path;     // dataset file
  MPI_Comm comm;        // all ranks that train; reader_open/close are collective on it
  size_t global_batch;  // B >= 1
  uint64_t seed;
  int flip;             // random horizontal flip, drawn per (step, i) from RNG_FLIP
  int prefetch;         // 1: read step s+1 in a background thread while step s computes
} ReaderConfig;

typedef struct Reader Reader;

// Opens the dataset collectively (MPI-IO driver) and, with prefetch, starts reading
// `first_step`. Errors: the dataset's own (dataset_open), thread level, memory.
int reader_open(Reader **reader, const ReaderConfig *cfg, uint64_t first_step);

// Copies the batch of the current step into images (b, H, W, C) float32 in [-1, 1]
// and labels (b), then advances to the next step (and starts prefetching it).
int reader_next(Reader *reader, float *images, int32_t *labels);

// Blocks until no HDF5 call is in flight in the reader thread; the thread then stays
// idle until the next reader_next. Call before other HDF5 work (checkpoints).
void reader_quiesce(Reader *reader);

// Collective. Safe on NULL.
void reader_close(Reader *reader);

size_t reader_local_batch(const Reader *reader);  // b of this rank
size_t reader_first_slot(const Reader *reader);   // rB/P: this rank's first i in the global batch
const Dataset *reader_dataset(const Reader *reader);
// Dataset indices (b) of the batch last returned by reader_next.
const uint64_t *reader_last_indices(const Reader *reader);

// Pure functions of the order and augmentation (rank-independent):
uint64_t reader_index(uint64_t seed, uint64_t n, uint64_t slot);     // dataset index of global slot
int reader_flip(uint64_t seed, uint64_t step, uint64_t i);           // 1: flip example i of step

#endif
