// LayerNorm over rows (N, C) (GroupNorm: norm.c; both declared in norm.h).
#include <math.h>
#include <stddef.h>

#include "core/fastexp.h"
#include "core/float_bits.h"
#include "ops/norm.h"
#include "ops/parallel.h"

// LayerNorm rows are contiguous: per row, one pass of sums in double, then one pass
// that writes. (Running it as GroupNorm with HW = 1 pays the segment set-up per row.)
// Sums go to LANES independent partials: a single double accumulator is a serial
// chain the compiler may not reorder without fast-math (see profiling/bench_norm.c).
enum { LANES = 8 };

static void lane_add(double *p1, double *p2, int l, const float *a, double ka, const float *w,
                     const float *x, double k, int c) {
  double u = ((double)a[c] - ka) * (w ? w[c] : 1.0);
  p1[l] += u;
  p2[l] += u * ((double)x[c] - k);
}

// s1 = sum_c u_c, s2 = sum_c u_c (x_c - k) with u_c = (a_c - ka) * (w ? w_c : 1).
static void row_sums(double *s1, double *s2, const float *a, double ka, const float *w,
                     const float *x, double k, int C) {
  double p1[LANES] = {0}, p2[LANES] = {0};
  int c = 0;
  for (; c + LANES <= C; c += LANES)
    for (int l = 0; l < LANES; l++) lane_add(p1, p2, l, a, ka, w, x, k, c + l);
  for (int l = 0; c + l < C; l++) lane_add(p1, p2, l, a, ka, w, x, k, c + l);
  *s1 = *s2 = 0;
  for (int l = 0; l < LANES; l++) *s1 += p1[l], *s2 += p2[l];
}

// One row's writing pass: forward and layernorm_from_stats share it, so their bits agree.
static void ln_row_normalize(float *y, const float *x, float mf, float r, const float *weight,
                             const float *bias, int C) {
  for (int c = 0; c < C; c++)
    y[c] = (x[c] - mf) * r * (weight ? weight[c] : 1.0f) + (bias ? bias[c] : 0.0f);
}

// Arguments of the threaded LayerNorm passes: threads take whole rows (every row's
// statistics and output are its own), and the parameters' gradients channel ranges
// (each channel summed over the rows in order by one thread), so the bits do not
// depend on the thread count.
typedef struct {
  float *out, *mean, *rstd;        // forward outputs
  float *dinp, *dweight, *dbias;   // backward outputs
  uint16_t *bits;                  // layernorm_normalized_bits' output
  const float *inp, *dout, *weight, *bias;
  const float *cmean, *crstd;      // saved statistics
  RoundedNormal xn;                // the ops from x-hat rounded (bf16 steps) read it
  size_t rows;                     // N: backward's parameter pass walks them all
  int params_in_rows;              // backward on one thread: parameters in the row pass
  int C;
} LnArgs;

// One row's terms of dbias and dweight, channels [lo, hi).
static void ln_row_params(const LnArgs *a, const float *x, const float *dy, float m, float r,
                          size_t lo, size_t hi) {
  if (a->dbias)
    for (size_t c = lo; c < hi; c++) a->dbias[c] += dy[c];
  if (a->dweight)
    for (size_t c = lo; c < hi; c++) a->dweight[c] += dy[c] * (x[c] - m) * r;
}

static void ln_forward_rows(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  for (size_t i = lo; i < hi; i++) {
    const float *x = a->inp + i * C;
    double k = x[0], s, q;  // shifted by the first element, as in GroupNorm
    row_sums(&s, &q, x, k, NULL, x, k, C);
    double m = s / C, var = q / C - m * m;
    float mf = (float)(k + m), r = (float)(1.0 / sqrt((var > 0 ? var : 0) + NORM_EPS));
    a->mean[i] = mf;
    a->rstd[i] = r;
    ln_row_normalize(a->out + i * C, x, mf, r, a->weight, a->bias, C);
  }
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C) {
  LnArgs a = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .weight = weight,
              .bias = bias, .C = C};
  par_for((size_t)N, 1, (size_t)N * C, ln_forward_rows, &a);
}

static void ln_from_stats_rows(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  for (size_t i = lo; i < hi; i++)
    ln_row_normalize(a->out + i * a->C, a->inp + i * a->C, a->cmean[i], a->crstd[i], a->weight,
                     a->bias, a->C);
}

void layernorm_from_stats(float *out, const float *inp, const float *weight, const float *bias,
                          const float *mean, const float *rstd, int N, int C) {
  LnArgs a = {.out = out, .inp = inp, .weight = weight, .bias = bias, .cmean = mean,
              .crstd = rstd, .C = C};
  par_for((size_t)N, 1, (size_t)N * C, ln_from_stats_rows, &a);
}

// dx += rstd * (dy*w - mean(dy*w) - xhat * mean(dy*w*xhat)) over rows [lo, hi); with
// params_in_rows (one thread) also dweight += dy*xhat and dbias += dy, row by row: the
// additions ln_params_range makes, in the same order.
static void ln_dinp_rows(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  for (size_t i = lo; i < hi; i++) {
    const float *x = a->inp + i * C, *dy = a->dout + i * C;
    float m = a->cmean[i], r = a->crstd[i];
    if (a->params_in_rows) ln_row_params(a, x, dy, m, r, 0, (size_t)C);
    if (!a->dinp) continue;
    double s1, s2;
    row_sums(&s1, &s2, dy, 0.0, a->weight, x, m, C);
    float f = (float)(s1 / C), e = (float)(r * s2 / C), *dx = a->dinp + i * C;
    for (int c = 0; c < C; c++)
      dx[c] += r * (dy[c] * (a->weight ? a->weight[c] : 1.0f) - f - (x[c] - m) * r * e);
  }
}

// dweight, dbias of channels [lo, hi), over all N rows in order.
static void ln_params_range(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const size_t C = (size_t)a->C;
  for (size_t i = 0; i < a->rows; i++)
    ln_row_params(a, a->inp + i * C, a->dout + i * C, a->cmean[i], a->crstd[i], lo, hi);
}

// On one thread a single pass over the rows; on more, rows for dinp and channel ranges
// for the parameters (each summed over the rows in order by one thread): the same
// additions either way, so the bits do not depend on the thread count. Both backwards
// (from x, and from x-hat rounded) run so.
static void run_backward(LnArgs *a, void (*rows)(void *, size_t, size_t),
                         void (*params_range)(void *, size_t, size_t)) {
  size_t work = a->rows * a->C;
  int params = a->dweight || a->dbias;
  a->params_in_rows = params && par_threads(work) == 1;
  if (a->dinp || a->params_in_rows) par_for(a->rows, 1, work, rows, a);
  if (params && !a->params_in_rows) par_for((size_t)a->C, 16, work, params_range, a);
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C) {
  LnArgs a = {.dinp = dinp, .dweight = dweight, .dbias = dbias, .inp = inp, .dout = dout,
              .weight = weight, .cmean = mean, .crstd = rstd, .C = C, .rows = (size_t)N};
  run_backward(&a, ln_dinp_rows, ln_params_range);
}

// ---- from the normalized input rounded to bf16 (bf16 steps) ------------------------------
// As GroupNorm's (norm.c), with a row for a group: x-hat = (x - mean) * rstd in float,
// rounded to bf16, is given as its bits or formed from x, the same values either way.
// Rows are walked in chunks of CHUNK channels through a stack buffer of x-hat.
enum { CHUNK = 512 };

// x-hat rounded of row i, channels [c0, c0 + len), into xh. The one place LayerNorm's
// x-hat is formed.
VDMC_SIMD_CLONES
static void ln_rounded_normal(float *xh, RoundedNormal xn, const float *mean, const float *rstd,
                              size_t i, int C, int c0, int len) {
  const size_t off = i * (size_t)C + c0;
  if (xn.bits) {
    for (int c = 0; c < len; c++) xh[c] = bf16_widened(xn.bits[off + c]);
    return;
  }
  const float m = mean[i], r = rstd[i];
  for (int c = 0; c < len; c++) xh[c] = bf16_rounded((xn.x[off + c] - m) * r);
}

static int chunk_len(int C, int c0) { return C - c0 < CHUNK ? C - c0 : CHUNK; }

static void ln_bits_rows(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  RoundedNormal from_x = {a->inp, NULL};
  float xh[CHUNK];
  for (size_t i = lo; i < hi; i++)
    for (int c0 = 0; c0 < C; c0 += CHUNK) {
      int len = chunk_len(C, c0);
      ln_rounded_normal(xh, from_x, a->cmean, a->crstd, i, C, c0, len);
      uint16_t *b = a->bits + i * (size_t)C + c0;
      for (int c = 0; c < len; c++) b[c] = bf16_bits(xh[c]);  // already rounded
    }
}

void layernorm_normalized_bits(uint16_t *bits, const float *inp, const float *mean,
                               const float *rstd, int N, int C) {
  LnArgs a = {.bits = bits, .inp = inp, .cmean = mean, .crstd = rstd, .C = C};
  par_for((size_t)N, 1, (size_t)N * C, ln_bits_rows, &a);
}

static void ln_affine_normal_rows(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  const float *w = a->weight, *b = a->bias;
  float xh[CHUNK];
  for (size_t i = lo; i < hi; i++)
    for (int c0 = 0; c0 < C; c0 += CHUNK) {
      int len = chunk_len(C, c0);
      ln_rounded_normal(xh, a->xn, a->cmean, a->crstd, i, C, c0, len);
      float *y = a->out + i * (size_t)C + c0;
      for (int c = 0; c < len; c++)
        y[c] = xh[c] * (w ? w[c0 + c] : 1.0f) + (b ? b[c0 + c] : 0.0f);
    }
}

void layernorm_from_rounded_normal(float *out, RoundedNormal xn, const float *weight,
                                   const float *bias, const float *mean, const float *rstd, int N,
                                   int C) {
  LnArgs a = {.out = out, .xn = xn, .weight = weight, .bias = bias, .cmean = mean,
              .crstd = rstd, .C = C};
  par_for((size_t)N, 1, (size_t)N * C, ln_affine_normal_rows, &a);
}

// A chunk's dbias and dweight terms from its x-hat, chunk channels [lo, hi).
static void ln_chunk_params(const LnArgs *a, const float *xh, const float *dy, int c0,
                            int lo, int hi) {
  if (a->dbias)
    for (int c = lo; c < hi; c++) a->dbias[c0 + c] += dy[c];
  if (a->dweight)
    for (int c = lo; c < hi; c++) a->dweight[c0 + c] += dy[c] * xh[c];
}

// dx += rstd * (dy*w - mean(dy*w) - xhat * mean(dy*w*xhat)) with x-hat rounded (x-hat
// carries rstd, so its sum is taken against it directly), rows [lo, hi): a pass of sums
// over the row's chunks, then one writing dx; with params_in_rows the parameters' terms
// too, row by row.
static void ln_dinp_rows_normal(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  const float *w = a->weight;
  float xh[CHUNK];
  for (size_t i = lo; i < hi; i++) {
    const float *dy = a->dout + i * C;
    double s1 = 0, s2 = 0;
    for (int c0 = 0; c0 < C; c0 += CHUNK) {
      int len = chunk_len(C, c0);
      ln_rounded_normal(xh, a->xn, a->cmean, a->crstd, i, C, c0, len);
      if (a->params_in_rows) ln_chunk_params(a, xh, dy + c0, c0, 0, len);
      double t1, t2;
      row_sums(&t1, &t2, dy + c0, 0.0, w ? w + c0 : NULL, xh, 0.0, len);
      s1 += t1, s2 += t2;
    }
    if (!a->dinp) continue;
    float r = a->crstd[i], f = (float)(s1 / C), e = (float)(s2 / C), *dx = a->dinp + i * C;
    for (int c0 = 0; c0 < C; c0 += CHUNK) {
      int len = chunk_len(C, c0);
      ln_rounded_normal(xh, a->xn, a->cmean, a->crstd, i, C, c0, len);
      for (int c = 0; c < len; c++)
        dx[c0 + c] += r * (dy[c0 + c] * (w ? w[c0 + c] : 1.0f) - f - xh[c] * e);
    }
  }
}

// dweight, dbias of channels [lo, hi), over all rows in order.
static void ln_params_range_normal(void *ctx, size_t lo, size_t hi) {
  const LnArgs *a = ctx;
  const int C = a->C;
  float xh[CHUNK];
  for (size_t i = 0; i < a->rows; i++)
    for (int c0 = (int)lo / CHUNK * CHUNK; c0 < (int)hi; c0 += CHUNK) {
      int len = chunk_len(C, c0), from = (int)lo > c0 ? (int)lo - c0 : 0;
      int to = (int)hi - c0 < len ? (int)hi - c0 : len;
      ln_rounded_normal(xh, a->xn, a->cmean, a->crstd, i, C, c0, len);
      ln_chunk_params(a, xh, a->dout + i * (size_t)C + c0, c0, from, to);
    }
}

void layernorm_backward_rounded_normal(float *dinp, float *dweight, float *dbias,
                                       const float *dout, RoundedNormal xn, const float *weight,
                                       const float *mean, const float *rstd, int N, int C) {
  LnArgs a = {.dinp = dinp, .dweight = dweight, .dbias = dbias, .dout = dout, .xn = xn,
              .weight = weight, .cmean = mean, .crstd = rstd, .C = C, .rows = (size_t)N};
  run_backward(&a, ln_dinp_rows_normal, ln_params_range_normal);
}
