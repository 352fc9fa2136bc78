// Inverted dropout whose mask is a pure function of the RNG stream: element j of
// example b is kept iff uniform(seed, RNG_DROPOUT, site, step, first_example + b, j) >= p.
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

#endif
