// Multi-head self-attention core. B batch, T tokens, C channels, NH heads, D = C/NH.
// Every matrix product is one sgemm per (b, head) that reads the head's
// q/k/v columns in place from qkv (leading dimension 3C) and writes out/dqkv in
// place (leading dimensions C and 3C): no gather, no transpose copies.
// Threads (ops/parallel.h): forward gives each thread whole (b, head) pairs; backward
// goes head by head (one (T, T) scratch), each product cut by ops/gemm.h and the
// softmax rows split over the threads.
#include "ops/attention.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/fastexp.h"
#include "ops/gemm.h"
#include "ops/parallel.h"

// The vector helpers are static and inlined: no vector crosses a call, so GCC's note
// that AVX vector arguments change the ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Head h of example b: its q, k, v inside qkv ((T, D) each, row stride ld = 3C),
// where it starts in qkv/dqkv, out/dout (row stride C) and probs ((T, T) contiguous).
typedef struct {
  const float *q, *k, *v;
  size_t qkv_off, out_off, probs_off;
  int D, ld;
  float scale;  // 1 / sqrt(D)
} Head;

static Head head_at(const float *qkv, int b, int h, int T, int C, int NH) {
  Head hd;
  hd.D = C / NH;
  hd.ld = 3 * C;
  hd.scale = 1.0f / sqrtf((float)hd.D);
  size_t col = (size_t)h * (size_t)hd.D;
  hd.qkv_off = (size_t)b * T * hd.ld + col;
  hd.out_off = (size_t)b * T * C + col;
  hd.probs_off = ((size_t)b * NH + h) * T * T;
  hd.q = qkv + hd.qkv_off;
  hd.k = hd.q + C;
  hd.v = hd.q + 2 * (size_t)C;
  return hd;
}

// Sums of 16 interleaved lanes (one zmm; 8 measured 5% slower on the i64 step), added
// at the end: the loops below vectorize without reassociating float math (-O3, no
// fast-math), and the order is fixed.
enum { LANES = 16 };

static float lanes_total(const float acc[LANES]) {
  float s = 0;
  for (int l = 0; l < LANES; l++) s += acc[l];
  return s;
}

// The row maximum, over 16 lanes of GCC's vector extension: the scalar loop is a chain
// of dependent compares that GCC does not vectorize (~4 cycles per score; the softmax
// was 13% of the i64 step). A maximum does not depend on the order of the compares
// (ties of -0 and +0 aside, which subtract and exponentiate alike).
typedef float v16f __attribute__((vector_size(16 * sizeof(float))));
typedef int32_t v16i __attribute__((vector_size(16 * sizeof(float))));

static inline __attribute__((always_inline)) float row_max(const float *row, int T) {
  v16f m;
  for (int l = 0; l < 16; l++) m[l] = row[0];
  int j = 0;
  for (; j + 16 <= T; j += 16) {
    v16f a;
    memcpy(&a, row + j, sizeof a);
    const v16i gt = a > m;
    m = (v16f)(((v16i)a & gt) | ((v16i)m & ~gt));
  }
  float mx = m[0];
  for (int l = 1; l < 16; l++) mx = m[l] > mx ? m[l] : mx;
  for (; j < T; j++) mx = row[j] > mx ? row[j] : mx;
  return mx;
}

// Rows of s (T, T) in place: s <- softmax(s), with the row maximum subtracted.
VDMC_SIMD_CLONES
static void softmax_rows(float *s, int T) {
  for (int i = 0; i < T; i++) {
    float *row = s + (size_t)i * T;
    const float mx = row_max(row, T);
    float acc[LANES] = {0};
    int j = 0;
    for (; j + LANES <= T; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += row[j + l] = fastexp_nonpos(row[j + l] - mx);
    for (; j < T; j++) acc[0] += row[j] = fastexp_nonpos(row[j] - mx);
    float inv = 1.0f / lanes_total(acc);
    for (j = 0; j < T; j++) row[j] *= inv;
  }
}

size_t attention_scratch_floats(int B, int T, int C, int NH) { return (size_t)T * T; }

typedef struct {
  float *out, *probs;
  const float *qkv;
  int B, T, C, NH;
} AttnFwd;

// Pairs [lo, hi) = b * NH + h.
static void attn_forward_pairs(void *ctx, size_t lo, size_t hi) {
  const AttnFwd *a = ctx;
  const int T = a->T, C = a->C;
  for (size_t i = lo; i < hi; i++) {
    Head hd = head_at(a->qkv, (int)(i / (size_t)a->NH), (int)(i % (size_t)a->NH), T, C, a->NH);
    float *p = a->probs + hd.probs_off;
    // p = q k^T / sqrt(D), then softmax over each row
    gemm_block(0, 1, T, T, hd.D, hd.scale, hd.q, hd.ld, hd.k, hd.ld, 0.0f, p, T);
    softmax_rows(p, T);
    // out[:, h*D:(h+1)*D] = p v
    gemm_block(0, 0, T, hd.D, T, 1.0f, p, T, hd.v, hd.ld, 0.0f, a->out + hd.out_off, C);
  }
}

void attention_forward(float *out, float *probs, const float *qkv, int B, int T, int C, int NH) {
  AttnFwd a = {out, probs, qkv, B, T, C, NH};
  size_t pairs = (size_t)B * NH;
  par_for(pairs, 1, pairs * T * ((size_t)T + 3 * (size_t)C / NH), attn_forward_pairs, &a);
}

typedef struct {
  float *dp;
  const float *p;
  int T;
} SoftmaxBwd;

// dS = P * (dP - rowsum(dP * P)), in place over rows [lo, hi) of dP (T, T).
VDMC_SIMD_CLONES
static void softmax_backward_rows(void *ctx, size_t lo, size_t hi) {
  const SoftmaxBwd *a = ctx;
  float *dp = a->dp;
  const float *p = a->p;
  const int T = a->T;
  for (size_t i = lo; i < hi; i++) {
    float *g = dp + (size_t)i * T;
    const float *pr = p + (size_t)i * T;
    float acc[LANES] = {0};
    int j = 0;
    for (; j + LANES <= T; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += g[j + l] * pr[j + l];
    for (; j < T; j++) acc[0] += g[j] * pr[j];
    float dot = lanes_total(acc);
    for (j = 0; j < T; j++) g[j] = pr[j] * (g[j] - dot);
  }
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs,
                        int B, int T, int C, int NH, float *scratch) {
  if (!dqkv) return;
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      Head hd = head_at(qkv, b, h, T, C, NH);
      int D = hd.D, ld = hd.ld;
      const float *p = probs + hd.probs_off, *g = dout + hd.out_off;  // g: (T, D), stride C
      float *dq = dqkv + hd.qkv_off, *dk = dq + C, *dv = dq + 2 * (size_t)C;
      // dv += P^T dout
      gemm_strided(1, 0, T, D, T, 1.0f, p, T, g, C, 1.0f, dv, ld);
      // dP = dout v^T, then dS through the softmax
      gemm_strided(0, 1, T, T, D, 1.0f, g, C, hd.v, ld, 0.0f, scratch, T);
      SoftmaxBwd sb = {scratch, p, T};
      par_for((size_t)T, 1, (size_t)T * T, softmax_backward_rows, &sb);
      // dq += dS k / sqrt(D) ; dk += dS^T q / sqrt(D)
      gemm_strided(0, 0, T, D, T, hd.scale, scratch, T, hd.k, ld, 1.0f, dq, ld);
      gemm_strided(1, 0, T, D, T, hd.scale, scratch, T, hd.q, ld, 1.0f, dk, ld);
    }
}
