// The bits of a float32 and back (memcpy: defined behaviour, compiled to a move).
#ifndef VDMC_CORE_FLOAT_BITS_H
#define VDMC_CORE_FLOAT_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t bits_of(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  return x;
}

static inline float float_of(uint32_t x) {
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

#endif
