// Inverted dropout whose mask is a pure function of the RNG stream: with
// w = rng_bits(seed, RNG_DROPOUT, site, step, first_example + b) and the 16-bit value
// h_j = (w[j / 2] >> (16 * (j % 2))) & 0xFFFF, element j of example b is kept iff
// h_j >= T, T = min(round(p * 2^16), 2^16 - 1), and kept values are scaled by
// 2^16 / (2^16 - T), the inverse of the exact keep rate (p acts rounded to a multiple
// of 2^-16). Two mask elements per 32-bit Philox word: half the draws of one per word.
// Backward regenerates the mask from the same stream, so nothing is saved.
#ifndef VDMC_OPS_DROPOUT_H
#define VDMC_OPS_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t seed, step, first_example;  // first_example: global index of row 0 of the batch
  uint32_t site;                        // distinct id per dropout layer
  float p;                              // drop probability in [0, 1)
} DropoutKey;

// inp/out (B, n_per_example); out may alias inp.
void dropout_forward(float *out, const float *inp, int B, size_t n_per_example,
                     const DropoutKey *key);
void dropout_backward(float *dinp, const float *dout, int B, size_t n_per_example,
                      const DropoutKey *key);
// d = mask(d): the gradient through dropout written over the upstream gradient, for a
// caller whose dout has no other use (one pass instead of zeroing dinp and adding).
void dropout_backward_inplace(float *d, int B, size_t n_per_example, const DropoutKey *key);

#endif
