// Counter-based random numbers (Philox4x32-10, Salmon et al. SC'11) keyed so that
// every draw is a pure function of (seed, purpose, step, global example index,
// element index): data order, t/lambda, eps, dropout and label dropout do not
// depend on the number of ranks, and resume needs only the step counter.
#ifndef VDMC_RNG_H
#define VDMC_RNG_H

#include <stddef.h>
#include <stdint.h>

// One Philox4x32 block with 10 rounds.
void philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]);

typedef enum {
  RNG_DATA_ORDER = 1,
  RNG_TIME = 2,         // t / lambda per example and the low-discrepancy offset u0
  RNG_NOISE = 3,        // eps
  RNG_DROPOUT = 4,      // `sub` = dropout site id
  RNG_LABEL_DROP = 5,   // classifier-free guidance label dropout
  RNG_FLIP = 6,         // random horizontal flip
  RNG_SAMPLE = 7,       // sampling noise
  RNG_INIT = 8,         // parameter initialisation (`sub` = tensor index)
  RNG_EVAL_SUBSET = 9   // evaluation subsets (KID): `sub` = which set, `step` = subset
} RngPurpose;

// A stream: all draws for one (seed, purpose, sub, step, example). Element i of a
// stream is word i%4 of the Philox block at counter (i/4, example, step, purpose|sub).
typedef struct {
  uint64_t seed;
  uint32_t purpose;  // RngPurpose, 8 bits
  uint32_t sub;      // 24 bits: layer / site / tensor id
  uint64_t step;     // low 32 bits used
  uint64_t example;  // global example index, low 32 bits used
} RngStream;

// Uniform floats in [0, 1) (24-bit), element i of the stream at out[i - first].
void rng_uniform(float *out, size_t n, const RngStream *s, uint64_t first);
// The raw 32-bit words behind rng_uniform: element i of the stream at out[i - first]
// (rng_uniform's element i is (word i >> 8) / 2^24).
void rng_bits(uint32_t *out, size_t n, const RngStream *s, uint64_t first);
// Standard normal floats, element-indexed like rng_uniform: Box-Muller on the word
// pairs (0,1) and (2,3) of each block, element 2m = r cos(theta), 2m+1 = r sin(theta),
// so element i depends only on i (any `first`, any n give the same values).
void rng_normal(float *out, size_t n, const RngStream *s, uint64_t first);
// One uniform double in [0, 1) with 53 random bits. Double `index` k is built from the
// 32-bit elements 2k and 2k+1 of the stream (its own index space, not rng_uniform's).
double rng_uniform_double(const RngStream *s, uint64_t index);

#endif
