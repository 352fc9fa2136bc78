// The Winograd transforms over groups of LANES channels, for the files that compile
// them at one vector width (winograd_transforms{8,16}.c): each includes this file
// after defining `enum { LANES = ... }` and `typedef float vf __attribute__((vector_size(
// LANES * sizeof(float))))`, and returns the table `wino_kernels` at the end from its
// own function (winograd_kernels.h). Only those two files include it.
//
// Each function walks the channels in groups of LANES: it loads the group's 16 (or 4,
// 9) rows, runs both 1-D passes in registers and stores the results, so nothing goes
// through memory between the passes. A last group of fewer channels is loaded into
// zero-padded vectors and stored partially. Every value is computed by the same
// additions in the same order whatever the vector width, so every width and clone
// gives the same bits.
#ifndef VDMC_OPS_WINOGRAD_GROUPS_H
#define VDMC_OPS_WINOGRAD_GROUPS_H

#include <stdint.h>
#include <string.h>

#include "core/fastexp.h"  // VDMC_SIMD_CLONES
#include "ops/winograd_kernels.h"

// The vector helpers below are static and always inlined: no vector crosses a call, so
// GCC's note that AVX vector arguments change the ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// n <= LANES floats into a vector (zeros past n), and back. With n == LANES (the main
// loops, a constant after inlining) these are single unaligned loads and stores.
static inline __attribute__((always_inline)) vf loadv(const float *p, size_t n) {
  vf v = {0};
  memcpy(&v, p, n * sizeof(float));
  return v;
}

static inline __attribute__((always_inline)) void storev(float *p, vf v, size_t n) {
  memcpy(p, &v, n * sizeof(float));
}

// Each lane rounded to the nearest bf16, ties to even (core/float_bits.h's
// bf16_rounded_bits, lane by lane): the input and output-gradient transforms round what
// they read in a bf16 region, as round_to_bf16 would have rounded a copy.
typedef uint32_t vu __attribute__((vector_size(LANES * sizeof(float))));

static inline __attribute__((always_inline)) vf bf16_rounded_lanes(vf x) {
  vu b;
  memcpy(&b, &x, sizeof b);
  const vu r = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
  const vu nan = (vu)((b & 0x7fffffffu) > 0x7f800000u);  // all ones where NaN
  const vu q = (((b & 0xffff0000u) | 0x00400000u) & nan) | (r & ~nan);
  memcpy(&x, &q, sizeof x);
  return x;
}

// n <= LANES floats into a vector as loadv, rounded to bf16 when `round`.
static inline __attribute__((always_inline)) vf load_operand(const float *p, size_t n, int round) {
  const vf x = loadv(p, n);
  return round ? bf16_rounded_lanes(x) : x;
}

// ---- one group of channels [c, c + n) --------------------------------------------------

static inline __attribute__((always_inline)) void input_group(float *v, size_t ld,
                                                              const float *const d[WINO_POS],
                                                              size_t c, size_t n, int round) {
  vf x[WINO_POS], t[WINO_POS];
  for (int k = 0; k < WINO_POS; k++) x[k] = load_operand(d[k] + c, n, round);
  for (int j = 0; j < 4; j++) {  // columns: t = B^T x
    t[j] = x[j] - x[8 + j];
    t[4 + j] = x[4 + j] + x[8 + j];
    t[8 + j] = x[8 + j] - x[4 + j];
    t[12 + j] = x[4 + j] - x[12 + j];
  }
  for (int i = 0; i < 4; i++) {  // rows: v = t B
    float *row = v + (size_t)(4 * i) * ld + c;
    const vf t0 = t[4 * i], t1 = t[4 * i + 1], t2 = t[4 * i + 2], t3 = t[4 * i + 3];
    storev(row, t0 - t2, n);
    storev(row + ld, t1 + t2, n);
    storev(row + 2 * ld, t2 - t1, n);
    storev(row + 3 * ld, t1 - t3, n);
  }
}

static inline __attribute__((always_inline)) void output_group(float *const y[4], const float *m,
                                                               size_t ld, const float *bias,
                                                               int accumulate, size_t c, size_t n) {
  vf t[8];
  for (int j = 0; j < 4; j++) {  // columns: t = A^T m
    const vf m0 = loadv(m + (size_t)j * ld + c, n), m1 = loadv(m + (size_t)(4 + j) * ld + c, n);
    const vf m2 = loadv(m + (size_t)(8 + j) * ld + c, n), m3 = loadv(m + (size_t)(12 + j) * ld + c, n);
    t[j] = m0 + m1 + m2;
    t[4 + j] = m1 - m2 - m3;
  }
  const vf add = bias ? loadv(bias + c, n) : (vf){0};
  for (int i = 0; i < 2; i++) {  // rows: y = t A
    const vf y0 = t[4 * i] + t[4 * i + 1] + t[4 * i + 2];
    const vf y1 = t[4 * i + 1] - t[4 * i + 2] - t[4 * i + 3];
    float *o0 = y[2 * i] + c, *o1 = y[2 * i + 1] + c;
    if (accumulate) {
      storev(o0, loadv(o0, n) + y0, n);
      storev(o1, loadv(o1, n) + y1, n);
    } else {
      storev(o0, add + y0, n);
      storev(o1, add + y1, n);
    }
  }
}

static inline __attribute__((always_inline)) void grad_output_group(float *dm, size_t ld,
                                                                    const float *const dy[4],
                                                                    size_t c, size_t n,
                                                                    int round) {
  vf t[8];
  for (int j = 0; j < 2; j++) {  // columns: t = A dy
    const vf x0 = load_operand(dy[j] + c, n, round), x1 = load_operand(dy[2 + j] + c, n, round);
    t[j] = x0;
    t[2 + j] = x0 + x1;
    t[4 + j] = x0 - x1;
    t[6 + j] = -x1;
  }
  for (int i = 0; i < 4; i++) {  // rows: dm = t A^T
    float *row = dm + (size_t)(4 * i) * ld + c;
    const vf t0 = t[2 * i], t1 = t[2 * i + 1];
    storev(row, t0, n);
    storev(row + ld, t0 + t1, n);
    storev(row + 2 * ld, t0 - t1, n);
    storev(row + 3 * ld, -t1, n);
  }
}

static inline __attribute__((always_inline)) void weight_group(float *u, const float *g, size_t ld,
                                                               size_t e, size_t n) {
  vf x[9], t[12];
  for (int k = 0; k < 9; k++) x[k] = loadv(g + (size_t)k * ld + e, n);
  for (int j = 0; j < 3; j++) {  // columns: t = G x
    t[j] = x[j];
    t[3 + j] = 0.5f * (x[j] + x[3 + j] + x[6 + j]);
    t[6 + j] = 0.5f * (x[j] - x[3 + j] + x[6 + j]);
    t[9 + j] = x[6 + j];
  }
  for (int i = 0; i < 4; i++) {  // rows: u = t G^T
    float *row = u + (size_t)(4 * i) * ld + e;
    const vf t0 = t[3 * i], t1 = t[3 * i + 1], t2 = t[3 * i + 2];
    storev(row, t0, n);
    storev(row + ld, 0.5f * (t0 + t1 + t2), n);
    storev(row + 2 * ld, 0.5f * (t0 - t1 + t2), n);
    storev(row + 3 * ld, t2, n);
  }
}

static inline __attribute__((always_inline)) void weight_grad_group(float *dg, const float *du,
                                                                    size_t ld, size_t e, size_t n) {
  vf x[WINO_POS], t[12];
  for (int k = 0; k < WINO_POS; k++) x[k] = loadv(du + (size_t)k * ld + e, n);
  for (int j = 0; j < 4; j++) {  // columns: t = G^T x
    t[j] = x[j] + 0.5f * (x[4 + j] + x[8 + j]);
    t[4 + j] = 0.5f * (x[4 + j] - x[8 + j]);
    t[8 + j] = 0.5f * (x[4 + j] + x[8 + j]) + x[12 + j];
  }
  for (int k = 0; k < 3; k++) {  // rows: dg += t G
    float *row = dg + (size_t)(3 * k) * ld + e;
    const vf t0 = t[4 * k], t1 = t[4 * k + 1], t2 = t[4 * k + 2], t3 = t[4 * k + 3];
    storev(row, loadv(row, n) + (t0 + 0.5f * (t1 + t2)), n);
    storev(row + ld, loadv(row + ld, n) + 0.5f * (t1 - t2), n);
    storev(row + 2 * ld, loadv(row + 2 * ld, n) + (0.5f * (t1 + t2) + t3), n);
  }
}

// ---- whole rows: full groups, then the remainder ---------------------------------------

// round a constant after inlining: one copy of the loops each way.
static inline __attribute__((always_inline)) void input_walk(float *v, size_t ld,
                                                             const float *const d[WINO_POS],
                                                             size_t C, int round) {
  size_t c = 0;
  for (; c + LANES <= C; c += LANES) input_group(v, ld, d, c, LANES, round);
  if (c < C) input_group(v, ld, d, c, C - c, round);
}

VDMC_SIMD_CLONES
static void input_rows(float *v, size_t ld, const float *const d[WINO_POS], size_t C, int round) {
  if (round)
    input_walk(v, ld, d, C, 1);
  else
    input_walk(v, ld, d, C, 0);
}

VDMC_SIMD_CLONES
static void output_rows(float *const y[4], const float *m, size_t ld, const float *bias,
                           int accumulate, size_t C) {
  size_t c = 0;
  for (; c + LANES <= C; c += LANES) output_group(y, m, ld, bias, accumulate, c, LANES);
  if (c < C) output_group(y, m, ld, bias, accumulate, c, C - c);
}

static inline __attribute__((always_inline)) void grad_output_walk(float *dm, size_t ld,
                                                                   const float *const dy[4],
                                                                   size_t C, int round) {
  size_t c = 0;
  for (; c + LANES <= C; c += LANES) grad_output_group(dm, ld, dy, c, LANES, round);
  if (c < C) grad_output_group(dm, ld, dy, c, C - c, round);
}

VDMC_SIMD_CLONES
static void grad_output_rows(float *dm, size_t ld, const float *const dy[4], size_t C,
                             int round) {
  if (round)
    grad_output_walk(dm, ld, dy, C, 1);
  else
    grad_output_walk(dm, ld, dy, C, 0);
}

VDMC_SIMD_CLONES
static void weight_rows(float *u, const float *g, size_t n, size_t lo, size_t hi) {
  size_t e = lo;
  for (; e + LANES <= hi; e += LANES) weight_group(u, g, n, e, LANES);
  if (e < hi) weight_group(u, g, n, e, hi - e);
}

VDMC_SIMD_CLONES
static void weight_grad_rows(float *dg, const float *du, size_t n, size_t lo, size_t hi) {
  size_t e = lo;
  for (; e + LANES <= hi; e += LANES) weight_grad_group(dg, du, n, e, LANES);
  if (e < hi) weight_grad_group(dg, du, n, e, hi - e);
}

static const WinoKernels wino_kernels = {.input = input_rows, .output = output_rows,
                                         .grad_output = grad_output_rows,
                                         .weight = weight_rows, .weight_grad = weight_grad_rows};

#endif
