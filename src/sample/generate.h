// Drawing a run's samples as 8-bit images, shared by `vdmc sample` and `vdmc eval --fid`
// (docs/sampling.md). Rank r of P takes the global samples [r N / P, (r+1) N / P);
// sample i has the Philox noise keyed by (seed, i) and the class --class or i mod K, so
// both commands give the same images for the same flags, rank count and batch.
// Legend: N samples over all ranks, D = H*W*C bytes per sample.
#ifndef VDMC_SAMPLE_GENERATE_H
#define VDMC_SAMPLE_GENERATE_H

#include <mpi.h>
#include <stdint.h>

#include "run/run.h"
#include "sample/sampler.h"

typedef struct {
  const char *sampler;   // ddpm | edm | ode | dpmpp-2m | dpmpp-3m-sde
  const char *schedule;  // NULL: the sampler's default
  long long n;           // N, samples over all ranks (>= 1)
  long long steps;       // sampler steps; 0: the sampler's default (sample_request_resolve)
  long long klass;       // class of every sample; -1: sample i gets class i mod K
  long long seed;
  long long batch;       // samples per forward batch per rank
  double guidance;       // classifier-free guidance weight; 0 = off
} SampleRequest;

// `vdmc sample`'s defaults: edm, the sampler's steps, class -1, seed 0, batch 16, guidance 0.
void sample_request_defaults(SampleRequest *r);
// This rank's samples [lo, hi).
void sample_rank_range(long long n, int rank, int P, long long *lo, long long *hi);
// The batch actually run: min(batch, ceil(N / P)); ckpt_model_load needs twice that
// when guided (sample_model_batch).
int sample_batch(const SampleRequest *r, int P);
int sample_model_batch(const SampleRequest *r, int P);
// One error line for a request the loaded model cannot serve: guidance on an
// unconditional model, a class outside [0, K), an unknown sampler or schedule. Then
// fills what the request left to the sampler: steps 0 becomes its default (256; 20
// for DPM-Solver++).
int sample_request_resolve(SampleRequest *r, const Run *run);

// Receives each batch: images (count, H, W, C) uint8, labels (count) = the class each
// sample was drawn for (0 for an unconditional model), global indices first ..
// first + count - 1. A non-zero return stops the generation with that status.
typedef int (*SampleSink)(void *ctx, const uint8_t *images, const int32_t *labels, long long first, int count);

// This rank's samples [lo, hi) in batches of sample_batch(r, P), each handed to sink.
// den: run's network with the weights sampled with (ckpt_model_denoiser, or the
// trainer's EMA weights), taking batches of sample_model_batch(r, P). progress: the
// rank-0 progress line's label ("sample (rank 0)"), NULL for none. A non-finite
// sample is VDMC_ERR_NUMERIC naming it and the checkpoint.
int sample_generate_range(const SampleRequest *r, const Run *run, Denoiser den, int P, long long lo, long long hi,
                          const char *progress, SampleSink sink, void *ctx);

// A sink that copies every batch into rows (first - lo) of images (hi - lo, D) and labels.
typedef struct {
  uint8_t *images;
  int32_t *labels;
  long long lo;
  size_t D;
} SampleRows;
int sample_rows_sink(void *rows, const uint8_t *images, const int32_t *labels, long long first, int count);

// Collective: this rank's rows [lo, hi) of the dataset-format file path (samples_h5.h),
// whose source attribute records the checkpoint and the request.
int sample_write_h5(const char *path, const SampleRequest *r, const Run *run, const uint8_t *images,
                    const int32_t *labels, long long lo, long long hi, MPI_Comm comm);

#endif
