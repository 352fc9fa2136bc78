// The one mapping between 8-bit pixel values and model inputs (VDM's convention):
// value k in [0, 255] is the centre of its bin, x = (2k + 1)/256 - 1 in (-1, 1), and
// a model value x maps back to the bin it falls in, floor((x + 1) * 128) clamped.
// Training inputs, the discretized likelihood of the ELBO, samples and PNG grids all
// use it, so bits/dim are computed on exactly the values the model was trained on.
#ifndef VDMC_CORE_PIXELS_H
#define VDMC_CORE_PIXELS_H

#include <math.h>
#include <stdint.h>

static inline float pixel_to_unit(uint8_t k) { return (float)(2 * (int)k + 1) * (1.0f / 256.0f) - 1.0f; }

// NaN maps to 0.
static inline uint8_t unit_to_pixel(float x) {
  float u = floorf((x + 1.0f) * 128.0f);
  if (!(u >= 0.0f)) return 0;
  return u > 255.0f ? 255 : (uint8_t)u;
}

#endif
