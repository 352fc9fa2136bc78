// The one place the diffusion code draws from the RNG: the per-step offset u0 of
// the low-discrepancy time sampler (loss.h).
#include "core/rng.h"
#include "diffusion/loss.h"

double lowdisc_offset(uint64_t seed, uint64_t step) {
  RngStream s = {.seed = seed, .purpose = RNG_TIME, .sub = 0, .step = step, .example = 0};
  return rng_uniform_double(&s, 0);
}
