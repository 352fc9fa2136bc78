// Multi-head self-attention core. B batch, T tokens, C channels, NH heads, D = C/NH.
// Every matrix product is one sgemm per (b, head) that reads the head's
// q/k/v columns in place from qkv (leading dimension 3C) and writes out/dqkv in
// place (leading dimensions C and 3C): no gather, no transpose copies.
// The probabilities P are saved (forward fills a (B, NH, T, T) buffer backward reads, or
// in a bf16 run forms them a few (b, head) pairs and a block of rows at a time in the
// scratch and keeps their bf16 bits) or recomputed (forward and backward form them for a few pairs at a time in
// the scratch, backward again from the same q and k): one function forms them in all
// places, so every way has the same bits. Threads (ops/parallel.h): forward gives each
// thread whole pairs; a recomputing backward forms a pass's P the same way; then backward
// goes head by head, each product cut by ops/gemm.h and the softmax rows split over the
// threads.
#include "ops/attention.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/fastexp.h"
#include "core/float_bits.h"
#include "ops/bf16.h"
#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

// The vector helpers are static and inlined: no vector crosses a call, so GCC's note
// that AVX vector arguments change the ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Head h of example b: its q, k, v inside qkv ((T, D) each, row stride ld = 3C),
// and where it starts in qkv/dqkv and out/dout (row stride C).
typedef struct {
  const float *q, *k, *v;
  size_t qkv_off, out_off;
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

// Rows of s (rows, T): softmax(s), with the row maximum subtracted, in place, or as bf16
// bits into bits (rows, T) when bits is given (s is then left with the row's
// exponentials); each row rounded to bf16 when `round` (a bf16 region: P is a product
// operand). bits and rounded floats hold the same values.
VDMC_SIMD_CLONES
static void softmax_rows(float *s, uint16_t *bits, int rows, int T, int round) {
  for (int i = 0; i < rows; i++) {
    float *row = s + (size_t)i * T;
    const float mx = row_max(row, T);
    float acc[LANES] = {0};
    int j = 0;
    for (; j + LANES <= T; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += row[j + l] = fastexp_nonpos(row[j + l] - mx);
    for (; j < T; j++) acc[0] += row[j] = fastexp_nonpos(row[j] - mx);
    float inv = 1.0f / lanes_total(acc);
    if (bits) {
      uint16_t *out = bits + (size_t)i * T;
      for (j = 0; j < T; j++) out[j] = bf16_bits(row[j] * inv);
    } else if (round) {
      for (j = 0; j < T; j++) row[j] = bf16_rounded(row[j] * inv);
    } else {
      for (j = 0; j < T; j++) row[j] *= inv;
    }
  }
}

// (b, head) pairs per pass when P is recomputed: forward and backward compute the
// probabilities of this many pairs at a time into the scratch (instead of keeping all
// B*NH of them), enough for
// the pool's threads to share on the hosts measured (2 to 8 cores); a pair's values do
// not depend on which pass or thread computes it.
enum { PAIRS_PER_PASS = 8 };

static size_t pass_pairs(int B, int NH) {
  size_t pairs = (size_t)B * NH;
  return pairs < PAIRS_PER_PASS ? pairs : PAIRS_PER_PASS;
}

const char *attn_probs_name(AttnProbs where) {
  static const char *const names[ATTN_PROBS_COUNT] = {"saved", "recomputed"};
  return where >= 0 && where < ATTN_PROBS_COUNT ? names[where] : "?";
}

// Rows of P a forward that keeps P as bf16 bits forms at a time per pair: with the pass's
// 8 pairs, at most 1.5 T^2 floats of scores at T = 1024 instead of 8 T^2. A multiple of
// GEMM_ROW_ALIGN, so the scores' and P v's row blocks have the bits of whole-head products
// (ops/gemm.h; the bf16 kernel's do wherever the rows are cut). 96 to 384 rows ran at
// the speed of whole heads (docs/precision.md).
#define KEPT_BITS_ROWS (4 * GEMM_ROW_ALIGN)

static int score_rows(int T) { return T < (int)KEPT_BITS_ROWS ? T : (int)KEPT_BITS_ROWS; }

size_t attention_scratch_floats(int B, int T, int C, int NH, AttnKept kept) {
  (void)C;
  const size_t tt = (size_t)T * T;
  switch (kept) {
    case ATTN_KEPT_F32: return tt;  // dP
    case ATTN_KEPT_BF16: {          // forward's row blocks; backward's P and dP
      size_t rows = pass_pairs(B, NH) * (size_t)score_rows(T) * T;
      return rows > 2 * tt ? rows : 2 * tt;
    }
    case ATTN_KEPT_NONE: break;
  }
  return (pass_pairs(B, NH) + 1) * tt;  // a pass's P, dP
}

// Rows [r0, r0 + rows) of P = softmax(q k^T / sqrt(D)) of one head into p (rows, T), or
// as bf16 bits into bits (rows, T) with p the scores' scratch: the one place forward and
// a recomputing backward form the probabilities, so saved and recomputed P have the same
// bits; rounded to bf16 when `round`.
static void head_prob_rows(const Head *hd, int r0, int rows, float *p, uint16_t *bits, int T,
                           int round) {
  gemm_block(0, 1, rows, T, hd->D, hd->scale, hd->q + (size_t)r0 * hd->ld, hd->ld, hd->k, hd->ld,
             0.0f, p, T);
  softmax_rows(p, bits, rows, T, round);
}

// Pairs [first + lo, first + hi) (pair i = b * NH + h); pair first + j's probabilities
// go to probs + j * T * T. With bits (forward keeping P as bf16 bits) they go to bits + j
// * T * T instead, formed score_rows(T) rows at a time in probs + j * score_rows(T) * T:
// on the bf16 kernel (direct) the softmax writes the bits and P v multiplies them;
// elsewhere P v multiplies the rounded float32 rows, which are then packed. With out,
// also out[:, h*D:(h+1)*D] = P v.
typedef struct {
  float *out, *probs;
  uint16_t *bits;
  const float *qkv;
  size_t first;
  int T, C, NH;
  int round;   // in a bf16 region
  int direct;  // bits on the bf16 kernel
} AttnPass;

static void attn_pass_pairs(void *ctx, size_t lo, size_t hi) {
  const AttnPass *a = ctx;
  const int T = a->T, C = a->C, rows = a->bits ? score_rows(T) : T;
  for (size_t j = lo; j < hi; j++) {
    size_t i = a->first + j;
    Head hd = head_at(a->qkv, (int)(i / (size_t)a->NH), (int)(i % (size_t)a->NH), T, C, a->NH);
    float *p = a->probs + j * (size_t)rows * T;
    for (int r0 = 0; r0 < T; r0 += rows) {
      const int n = T - r0 < rows ? T - r0 : rows;
      uint16_t *bits = a->bits ? a->bits + (j * (size_t)T + (size_t)r0) * T : NULL;
      head_prob_rows(&hd, r0, n, p, a->direct ? bits : NULL, T, a->round);
      float *out = a->out ? a->out + hd.out_off + (size_t)r0 * C : NULL;
      if (out && a->direct)
        gemm_block_a16(0, 0, n, hd.D, T, 1.0f, bits, T, hd.v, hd.ld, 0.0f, out, C);
      else if (out)
        gemm_block(0, 0, n, hd.D, T, 1.0f, p, T, hd.v, hd.ld, 0.0f, out, C);
      if (bits && !a->direct) pack_bf16(bits, p, (size_t)n * T);
    }
  }
}

// Pairs [first, first + n) over the pool's threads.
static void attn_pass(float *out, float *probs, uint16_t *bits, const float *qkv, size_t first,
                      size_t n, int T, int C, int NH) {
  AttnPass a = {out, probs, bits, qkv, first, T, C, NH, gemm_bf16_in_region(),
                bits && gemm_bf16_active()};
  par_for(n, 1, n * T * ((size_t)T + (out ? 3 * (size_t)C / NH : 0)), attn_pass_pairs, &a);
}

void attention_probs(float *probs, const float *qkv, int B, int T, int C, int NH) {
  attn_pass(NULL, probs, NULL, qkv, 0, (size_t)B * NH, T, C, NH);
}

void attention_forward(float *out, AttnSavedProbs keep, const float *qkv, int B, int T, int C,
                       int NH, float *scratch) {
  size_t pairs = (size_t)B * NH;
  if (keep.f32) {  // every pair's P stays where backward reads it
    attn_pass(out, keep.f32, NULL, qkv, 0, pairs, T, C, NH);
    return;
  }
  // Kept as bits: a block of rows at a time in the scratch. On the bf16 kernel P goes
  // from the softmax straight to its bits, and P v reads them: no float32 P and no
  // packing. Elsewhere P is formed in float32 rows, multiplied and packed.
  size_t per = pass_pairs(B, NH), tt = (size_t)T * T;
  for (size_t first = 0; first < pairs; first += per) {
    size_t n = pairs - first < per ? pairs - first : per;
    attn_pass(out, scratch, keep.bf16 ? keep.bf16 + first * tt : NULL, qkv, first, n, T, C, NH);
  }
}

// C (T x D, ldc) = alpha op(A) B + C over T: the head's products with A (T, T), P or dS,
// as float32 values or as bf16 bits (only on the bf16 kernel, which packs them as they
// are: gemm_strided_a16).
static void square_times(int trans_a, MixedInput A, int T, int D, float alpha, const float *B,
                         size_t ldb, float *C, size_t ldc) {
  if (A.bf16)
    gemm_strided_a16(trans_a, 0, T, D, T, alpha, A.bf16, T, B, ldb, 1.0f, C, ldc);
  else
    gemm_strided(trans_a, 0, T, D, T, alpha, A.f32, T, B, ldb, 1.0f, C, ldc);
}

typedef struct {
  float *dp;
  MixedInput p;
  uint16_t *ds;  // with p.bf16: dS goes here as bf16 bits (dp keeps dP)
  int T;
  int round;  // in a bf16 region: dS is the operand of dS k and dS^T q
} SoftmaxBwd;

// dS = P * (dP - rowsum(dP * P)) over rows [lo, hi) of dP (T, T): in place, rounded to
// bf16 when `round`, or from P's bf16 bits into ds as bf16 bits (the same values).
VDMC_SIMD_CLONES
static void softmax_backward_rows(void *ctx, size_t lo, size_t hi) {
  const SoftmaxBwd *a = ctx;
  float *dp = a->dp;
  const int T = a->T;
  for (size_t i = lo; i < hi; i++) {
    float *g = dp + (size_t)i * T;
    float acc[LANES] = {0};
    int j = 0;
    if (a->p.bf16) {
      const uint16_t *pr = a->p.bf16 + (size_t)i * T;
      uint16_t *out = a->ds + (size_t)i * T;
      for (; j + LANES <= T; j += LANES)
        for (int l = 0; l < LANES; l++) acc[l] += g[j + l] * bf16_widened(pr[j + l]);
      for (; j < T; j++) acc[0] += g[j] * bf16_widened(pr[j]);
      float dot = lanes_total(acc);
      for (j = 0; j < T; j++)
        out[j] = bf16_bits(bf16_widened(pr[j]) * (g[j] - dot));
      continue;
    }
    const float *pr = a->p.f32 + (size_t)i * T;
    for (; j + LANES <= T; j += LANES)
      for (int l = 0; l < LANES; l++) acc[l] += g[j + l] * pr[j + l];
    for (; j < T; j++) acc[0] += g[j] * pr[j];
    float dot = lanes_total(acc);
    if (a->round)
      for (j = 0; j < T; j++) g[j] = bf16_rounded(pr[j] * (g[j] - dot));
    else
      for (j = 0; j < T; j++) g[j] = pr[j] * (g[j] - dot);
  }
}

// One head's backward from its probabilities p (T, T); dp (T, T) is scratch, and so is
// ds (T, T bf16 bits) where p is bits.
static void head_backward(const Head *hd, float *dqkv, const float *dout, MixedInput p, float *dp,
                          uint16_t *ds, int T, int C) {
  int D = hd->D, ld = hd->ld;
  const float *g = dout + hd->out_off;  // (T, D), stride C
  float *dq = dqkv + hd->qkv_off, *dk = dq + C, *dv = dq + 2 * (size_t)C;
  // dv += P^T dout
  square_times(1, p, T, D, 1.0f, g, C, dv, ld);
  // dP = dout v^T, then dS through the softmax
  gemm_strided(0, 1, T, T, D, 1.0f, g, C, hd->v, ld, 0.0f, dp, T);
  SoftmaxBwd sb = {dp, p, ds, T, gemm_bf16_in_region()};
  par_for((size_t)T, 1, (size_t)T * T, softmax_backward_rows, &sb);
  MixedInput dS = p.bf16 ? (MixedInput){NULL, ds} : mixed_input_f32(dp);
  // dq += dS k / sqrt(D) ; dk += dS^T q / sqrt(D)
  square_times(0, dS, T, D, hd->scale, hd->k, ld, dq, ld);
  square_times(1, dS, T, D, hd->scale, hd->q, ld, dk, ld);
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, AttnSavedProbs saved,
                        int B, int T, int C, int NH, float *scratch) {
  if (!dqkv) return;
  // kept as float32: one pass over every pair, reading forward's P where it is; as bf16
  // bits on the bf16 kernel: the same, the kernel packing the bits as they are and dS
  // going to the scratch as bits; as bf16 bits elsewhere: one pair at a time widened
  // into the scratch; not at all: passes that form it there
  const int direct = saved.bf16 && gemm_bf16_active();
  size_t pairs = (size_t)B * NH, tt = (size_t)T * T;
  size_t per = saved.f32 || direct ? pairs : saved.bf16 ? 1 : pass_pairs(B, NH);
  float *dp = saved.f32 ? scratch : scratch + (saved.bf16 ? 1 : per) * tt;
  uint16_t *ds = direct ? (uint16_t *)scratch : NULL;
  for (size_t first = 0; first < pairs; first += per) {
    size_t n = pairs - first < per ? pairs - first : per;
    const float *p = saved.f32 ? saved.f32 + first * tt : scratch;
    if (saved.bf16 && !direct)
      widen_bf16_threaded(scratch, saved.bf16 + first * tt, n * tt);
    else if (!saved.f32 && !saved.bf16)
      attn_pass(NULL, scratch, NULL, qkv, first, n, T, C, NH);  // the P forward had
    for (size_t j = 0; j < n; j++) {
      size_t i = first + j;
      Head hd = head_at(qkv, (int)(i / (size_t)NH), (int)(i % (size_t)NH), T, C, NH);
      MixedInput pj = direct ? (MixedInput){NULL, saved.bf16 + i * tt} : mixed_input_f32(p + j * tt);
      head_backward(&hd, dqkv, dout, pj, dp, ds, T, C);
    }
  }
}
