// Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC'11; Random123 "philox4x32_10")
// and the keyed streams of rng.h. Layout and rationale: docs/rng.md.
#include "core/rng.h"

#include <math.h>

#include "core/fastexp.h"

#define PHILOX_M0 0xD2511F53u  // round multipliers
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u  // Weyl key increments (golden ratio, sqrt(3) - 1)
#define PHILOX_W1 0xBB67AE85u

static void philox_round(uint32_t c[4], const uint32_t k[2]) {
  uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
  uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
  uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k[0];
  uint32_t n1 = (uint32_t)p1;
  uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k[1];
  uint32_t n3 = (uint32_t)p0;
  c[0] = n0;
  c[1] = n1;
  c[2] = n2;
  c[3] = n3;
}

void philox4x32_10(uint32_t out[4], const uint32_t ctr[4], const uint32_t key[2]) {
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  uint32_t k[2] = {key[0], key[1]};
  for (int r = 0; r < 10; r++) {
    if (r > 0) {  // the key schedule bumps before every round but the first
      k[0] += PHILOX_W0;
      k[1] += PHILOX_W1;
    }
    philox_round(c, k);
  }
  for (int i = 0; i < 4; i++) out[i] = c[i];
}

// The four words of block `block` of a stream: element i lives in word i % 4 of
// block i / 4 (the block index is truncated to 32 bits: 2^34 elements per stream).
static void stream_block(uint32_t w[4], const RngStream *s, uint64_t block) {
  uint32_t ctr[4] = {(uint32_t)block, (uint32_t)s->example, (uint32_t)s->step,
                     (s->purpose << 24) | (s->sub & 0xFFFFFFu)};
  uint32_t key[2] = {(uint32_t)s->seed, (uint32_t)(s->seed >> 32)};
  philox4x32_10(w, ctr, key);
}

// 24 high bits of a word -> float in [0, 1), exactly representable.
static float word_to_unit(uint32_t w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }

typedef void (*block_transform)(float out[4], const uint32_t w[4]);

static void transform_uniform(float out[4], const uint32_t w[4]) {
  for (int i = 0; i < 4; i++) out[i] = word_to_unit(w[i]);
}

// Box-Muller on the word pairs (w0, w1) and (w2, w3): the even element of a pair is
// r cos(theta), the odd one r sin(theta), with r = sqrt(-2 ln u), u = (w_even + 1) / 2^32
// in (0, 1] (so |z| <= 6.66) and theta = 2 pi w_odd / 2^32. Computed in double.
static void transform_normal(float out[4], const uint32_t w[4]) {
  const double two_pi = 6.283185307179586476925;
  for (int p = 0; p < 4; p += 2) {
    double u = ((double)w[p] + 1.0) * (1.0 / 4294967296.0);
    double theta = two_pi * (double)w[p + 1] * (1.0 / 4294967296.0);
    double r = sqrt(-2.0 * log(u));
    out[p] = (float)(r * cos(theta));
    out[p + 1] = (float)(r * sin(theta));
  }
}

// Elements [first, first + n) of the stream through `f`, one Philox block per 4.
static void stream_fill(float *out, size_t n, const RngStream *s, uint64_t first,
                        block_transform f) {
  uint64_t i = first, end = first + n;
  while (i < end) {
    uint32_t w[4];
    float v[4];
    stream_block(w, s, i / 4);
    f(v, w);
    for (uint64_t j = i % 4; j < 4 && i < end; j++, i++) out[i - first] = v[j];
  }
}

void rng_uniform(float *out, size_t n, const RngStream *s, uint64_t first) {
  stream_fill(out, n, s, first, transform_uniform);
}

// LANES consecutive blocks of a stream at once, written lane-parallel so the compiler
// vectorizes the 32x32->64 multiplies (the same arithmetic as philox4x32_10). 32 lanes
// (2 zmm or 4 ymm per counter word) keep enough independent multiplies in flight to
// hide their latency: rng_bits in 256-word requests (a dropout chunk) on the Zen 5
// host, ns per word, AVX-512 / AVX2 clone: 1.58 / 1.71 with 8 lanes, 0.97 / 2.09 with
// 16, 0.66 / 1.03 with 32, 0.63 / 0.97 with 64.
enum { LANES = 32 };

// SIMD clones (core/fastexp.h): 4 (AVX2) or 8 (AVX-512) multiplies per vpmuludq instead
// of 2; integer math, so the same bits. Dropout masks draw ~1 word per 2 activations.
VDMC_SIMD_CLONES
static void stream_blocks(uint32_t w[4 * LANES], const RngStream *s, uint64_t block) {
  uint32_t c0[LANES], c1[LANES], c2[LANES], c3[LANES];
  uint32_t k0 = (uint32_t)s->seed, k1 = (uint32_t)(s->seed >> 32);
  for (int l = 0; l < LANES; l++) {
    c0[l] = (uint32_t)(block + (uint64_t)l);
    c1[l] = (uint32_t)s->example;
    c2[l] = (uint32_t)s->step;
    c3[l] = (s->purpose << 24) | (s->sub & 0xFFFFFFu);
  }
  for (int r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    for (int l = 0; l < LANES; l++) {
      uint64_t p0 = (uint64_t)PHILOX_M0 * c0[l], p1 = (uint64_t)PHILOX_M1 * c2[l];
      uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
      c0[l] = n0;
      c1[l] = (uint32_t)p1;
      c2[l] = n2;
      c3[l] = (uint32_t)p0;
    }
  }
  for (int l = 0; l < LANES; l++) {
    w[4 * l] = c0[l];
    w[4 * l + 1] = c1[l];
    w[4 * l + 2] = c2[l];
    w[4 * l + 3] = c3[l];
  }
}

void rng_bits(uint32_t *out, size_t n, const RngStream *s, uint64_t first) {
  for (uint64_t i = first, end = first + n; i < end;) {
    if (i % 4 == 0 && end - i >= 4 * LANES) {  // LANES whole blocks
      stream_blocks(out + (i - first), s, i / 4);
      i += 4 * LANES;
      continue;
    }
    uint32_t w[4];
    stream_block(w, s, i / 4);
    for (uint64_t j = i % 4; j < 4 && i < end; j++, i++) out[i - first] = w[j];
  }
}

void rng_normal(float *out, size_t n, const RngStream *s, uint64_t first) {
  stream_fill(out, n, s, first, transform_normal);
}

// Double element k takes 32-bit elements 2k (high 32 bits) and 2k + 1 (its top 21 bits).
double rng_uniform_double(const RngStream *s, uint64_t index) {
  uint32_t w[4];
  stream_block(w, s, index / 2);
  int p = (int)(index % 2) * 2;
  uint64_t bits = ((uint64_t)w[p] << 21) | (w[p + 1] >> 11);
  return (double)bits * (1.0 / 9007199254740992.0);
}
