// Header-only deterministic double-precision random numbers for tests that need
// many iid uniforms/normals (Monte Carlo checks): a 64-bit LCG + Box-Muller.
#ifndef VDMC_TEST_RNG_H
#define VDMC_TEST_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
  uint64_t s;
  int has_spare;
  double spare;
} TestRng;

static inline TestRng test_rng(uint64_t seed) {
  TestRng r = {0x9E3779B97F4A7C15ull ^ (seed * 0x100000001B3ull), 0, 0};
  return r;
}

static inline double test_uniform(TestRng *r) {  // (0, 1)
  r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
  return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}

static inline double test_normal(TestRng *r) {
  if (r->has_spare) {
    r->has_spare = 0;
    return r->spare;
  }
  double u = test_uniform(r), v = test_uniform(r);
  double rad = sqrt(-2 * log(u)), ang = 6.283185307179586 * v;
  r->spare = rad * sin(ang);
  r->has_spare = 1;
  return rad * cos(ang);
}

#endif
