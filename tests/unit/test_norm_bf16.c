// GroupNorm and LayerNorm from their normalized input rounded to bf16 (ops/norm.h
// RoundedNormal: what a bf16 step's backward of every norm reads, docs/precision.md),
// against the fp32 ops on the same input, with the bounds derived there, u = 2^-8
// (bf16), u32 = 2^-24 (LayerNorm's row is a group: HW = 1, G = 1, n = C; with its affine
// parameters and without them, as the U-ViT's adaLN uses it):
//   x-hat' = x-hat (1 + d), |d| <= u, x-hat = (x - mean) * rstd in float;
//   dweight_c: |err| <= u sum_p |dy x-hat|
//   dinp:      |err| <= rstd |x-hat| (u |g2| + (u + u^2) S_g) / n, with over the group
//              g2 = sum w dy x-hat and S_g = sum |w dy x-hat|
//   output:    |err| <= u |x-hat w|
// each plus the float roundings both computations make (F terms below, a few u32 of the
// magnitudes summed); dbias reads no x-hat: the fp32 op's bits. Also: the kept bits are
// x-hat rounded (against core/half_float.h), the bits and the input give the same bits,
// the accumulate contract, 1 and 2 threads, a mean 1e4 times the spread (where rounding
// x itself would lose every digit of x - mean), and the bound applied (elements beyond
// the fp32-only terms) and tight: the worst element uses 0.5 / sqrt(m) of it or more,
// m the terms of the sum whose roundings add up (1 for the output), as
// test_bf16_products.c asks of its product bounds.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/half_float.h"
#include "ops/norm.h"
#include "ops/parallel.h"

static const double U = 1.0 / 256, U32 = 1.0 / 16777216;

static float *floats(size_t n) { return calloc(n, sizeof(float)); }

static float *copy_of(const float *x, size_t n) {
  float *y = floats(n);
  memcpy(y, x, n * sizeof *y);
  return y;
}

// Worst err / bound, elements beyond the bound and beyond the fp32-only terms F.
typedef struct {
  double worst;
  size_t bad, beyond, n;
} Tally;

static void tally(Tally *t, double err, double bound, double f) {
  t->n++;
  t->bad += !(err <= bound);
  t->beyond += err > f;
  if (bound > 0 && err / bound > t->worst) t->worst = err / bound;
}

// A norm under test: GroupNorm (B, HW, C, G), or LayerNorm over B rows of C (HW = G = 1),
// with its affine parameters or (LayerNorm) without them.
typedef struct {
  int ln, affine, B, HW, C, G;
} Norm;

static const char *name_of(const Norm *k) { return k->ln ? k->affine ? "LN" : "LN-noaffine" : "GN"; }

static void report(const char *what, const Tally *t, double terms, const Norm *k, float offset) {
  printf("%-11s B%d HW%-3d C%-4d G%-2d offset %-5g %-8s worst %.3f of the bound; %5.1f%% beyond "
         "the fp32-only terms\n", name_of(k), k->B, k->HW, k->C, k->G, offset, what, t->worst,
         100.0 * t->beyond / t->n);
  CHECK(t->bad == 0, "%s B%d HW%d C%d G%d %s: %zu of %zu elements beyond the bound", name_of(k),
        k->B, k->HW, k->C, k->G, what, t->bad, t->n);
  CHECK(t->worst >= 0.5 / sqrt(terms) && t->beyond > 0, "%s B%d HW%d C%d G%d %s: the bound is "
        "loose (worst %.3f) or x-hat was not rounded", name_of(k), k->B, k->HW, k->C, k->G, what,
        t->worst);
}

// The ops of k; w and b are passed as NULL without the affine parameters.
static void norm_forward(const Norm *k, float *y, float *mean, float *rstd, const float *x,
                         const float *w, const float *b) {
  if (k->ln)
    layernorm_forward(y, mean, rstd, x, k->affine ? w : NULL, k->affine ? b : NULL, k->B, k->C);
  else
    groupnorm_forward(y, mean, rstd, x, w, b, k->B, k->HW, k->C, k->G);
}

static void norm_bits(const Norm *k, uint16_t *bits, const float *x, const float *mean,
                      const float *rstd) {
  if (k->ln)
    layernorm_normalized_bits(bits, x, mean, rstd, k->B, k->C);
  else
    groupnorm_normalized_bits(bits, x, mean, rstd, k->B, k->HW, k->C, k->G);
}

static void norm_backward(const Norm *k, float *dx, float *dw, float *db, const float *dy,
                          const float *x, const float *w, const float *mean, const float *rstd) {
  if (k->ln)
    layernorm_backward(dx, k->affine ? dw : NULL, k->affine ? db : NULL, dy, x,
                       k->affine ? w : NULL, mean, rstd, k->B, k->C);
  else
    groupnorm_backward(dx, dw, db, dy, x, w, mean, rstd, k->B, k->HW, k->C, k->G);
}

static void norm_backward_rounded(const Norm *k, float *dx, float *dw, float *db, const float *dy,
                                  RoundedNormal xn, const float *w, const float *mean,
                                  const float *rstd) {
  if (k->ln)
    layernorm_backward_rounded_normal(dx, k->affine ? dw : NULL, k->affine ? db : NULL, dy, xn,
                                      k->affine ? w : NULL, mean, rstd, k->B, k->C);
  else
    groupnorm_backward_rounded_normal(dx, dw, db, dy, xn, w, mean, rstd, k->B, k->HW, k->C,
                                      k->G);
}

static void norm_from_rounded(const Norm *k, float *y, RoundedNormal xn, const float *w,
                              const float *b, const float *mean, const float *rstd) {
  if (k->ln)
    layernorm_from_rounded_normal(y, xn, k->affine ? w : NULL, k->affine ? b : NULL, mean, rstd,
                                  k->B, k->C);
  else
    groupnorm_from_rounded_normal(y, xn, w, b, mean, rstd, k->B, k->HW, k->C, k->G);
}

static void check_case(Norm k, float offset, unsigned seed, int threads) {
  par_set_threads(threads);
  const int B = k.B, HW = k.HW, C = k.C, G = k.G;
  const size_t n = (size_t)B * HW * C, ng = (size_t)B * G;
  const int Cg = C / G;
  float *x = floats(n), *w = floats(C), *b = floats(C), *dy = floats(n), *d0 = floats(n);
  float *w0 = floats(C), *b0 = floats(C), *y = floats(n), *mean = floats(ng), *rstd = floats(ng);
  fill_uniform(x, n, seed, offset - 1, offset + 1);
  fill_uniform(w, C, seed + 1, 0.5f, 1.5f);
  fill_uniform(b, C, seed + 2, -0.5f, 0.5f);
  if (!k.affine)  // what the bounds below read: the ops are given NULL
    for (int c = 0; c < C; c++) w[c] = 1, b[c] = 0;
  fill_uniform(dy, n, seed + 3, -1, 1);
  fill_uniform(d0, n, seed + 4, -0.1f, 0.1f);
  fill_uniform(w0, C, seed + 5, -0.1f, 0.1f);
  fill_uniform(b0, C, seed + 6, -0.1f, 0.1f);
  norm_forward(&k, y, mean, rstd, x, w, b);

  // x-hat in float from forward's statistics, and its bits rounded, independently of the
  // kernels
  uint16_t *bits = calloc(n, sizeof *bits), *want = calloc(n, sizeof *want);
  double *xh = calloc(n, sizeof *xh);
  for (size_t i = 0; i < n; i++) {
    size_t bb = i / ((size_t)HW * C), g = bb * G + (i % C) / Cg;
    float v = (x[i] - mean[g]) * rstd[g];
    xh[i] = v;
    want[i] = bf16_from_f32(v);
  }
  norm_bits(&k, bits, x, mean, rstd);
  CHECK(!memcmp(bits, want, n * sizeof *bits), "%s normalized bits B%d HW%d C%d G%d: not "
        "x-hat rounded to bf16", name_of(&k), B, HW, C, G);

  // fp32 ops, and from x-hat given as bits and as x: accumulating onto d0, w0, b0
  float *dx32 = copy_of(d0, n), *dw32 = copy_of(w0, C), *db32 = copy_of(b0, C);
  norm_backward(&k, dx32, dw32, db32, dy, x, w, mean, rstd);
  const RoundedNormal from[2] = {{NULL, bits}, {x, NULL}};
  float *dx[2], *dw[2], *db[2], *yr[2];
  for (int j = 0; j < 2; j++) {
    dx[j] = copy_of(d0, n), dw[j] = copy_of(w0, C), db[j] = copy_of(b0, C), yr[j] = floats(n);
    norm_backward_rounded(&k, dx[j], dw[j], db[j], dy, from[j], w, mean, rstd);
    memset(yr[j], 0xff, n * sizeof(float));  // NaNs: every element must be written
    norm_from_rounded(&k, yr[j], from[j], w, b, mean, rstd);
  }
  CHECK(!memcmp(dx[0], dx[1], n * 4) && !memcmp(dw[0], dw[1], C * 4.0) &&
            !memcmp(db[0], db[1], C * 4.0) && !memcmp(yr[0], yr[1], n * 4),
        "%s B%d HW%d C%d G%d: x-hat from its bits and from x give different bits", name_of(&k),
        B, HW, C, G);
  CHECK(!memcmp(db[0], db32, C * sizeof(float)), "%s B%d HW%d C%d G%d: dbias is not the fp32 "
        "op's", name_of(&k), B, HW, C, G);
  // and without dinp, the parameters alone (the channel pass): the same bits
  float *dw_only = copy_of(w0, C), *db_only = copy_of(b0, C);
  norm_backward_rounded(&k, NULL, dw_only, db_only, dy, from[0], w, mean, rstd);
  CHECK(!memcmp(dw_only, dw[0], C * sizeof(float)) && !memcmp(db_only, db[0], C * sizeof(float)),
        "%s B%d HW%d C%d G%d: parameter gradients without dinp differ", name_of(&k), B, HW, C, G);

  // S_g = sum over group |w dy x-hat| (per example and group), sum_p |dy x-hat| per channel
  double *S = calloc(ng, sizeof *S), *G1 = calloc(ng, sizeof *G1), *Sw = calloc(C, sizeof *Sw);
  double *G2 = calloc(ng, sizeof *G2);
  for (size_t i = 0; i < n; i++) {
    size_t bb = i / ((size_t)HW * C), c = i % C, g = bb * G + c / Cg;
    S[g] += fabs(w[c] * (double)dy[i] * xh[i]);
    G2[g] += w[c] * (double)dy[i] * xh[i];
    G1[g] += fabs(w[c] * (double)dy[i]);
    Sw[c] += fabs((double)dy[i] * xh[i]);
  }
  const double per = (double)HW * Cg;
  Tally tx = {0}, tw = {0}, ty = {0};
  for (size_t i = 0; i < n; i++) {
    size_t bb = i / ((size_t)HW * C), c = i % C, g = bb * G + c / Cg;
    double r = rstd[g], ax = fabs(xh[i]);
    double bound = r * ax * (U * fabs(G2[g]) + (U + U * U) * S[g]) / per;
    double f = 8 * U32 * (r * fabs(w[c] * (double)dy[i]) + r * G1[g] / per + r * ax * S[g] / per +
                          fabs(d0[i]) + fabs(dx32[i]));
    tally(&tx, fabs((double)dx[0][i] - dx32[i]), bound + f, f);
    double fy = 4 * U32 * (fabs(xh[i] * w[c]) + fabs(b[c]));
    tally(&ty, fabs((double)yr[0][i] - y[i]), U * fabs(xh[i] * w[c]) + fy, fy);
  }
  for (int c = 0; c < C; c++) {
    double f = 4 * U32 * Sw[c] + 2 * U32 * (fabs(w0[c]) + fabs(dw32[c]));
    tally(&tw, fabs((double)dw[0][c] - dw32[c]), U * Sw[c] + f, f);
  }
  report("dinp", &tx, per, &k, offset);
  if (k.affine) report("dweight", &tw, (double)B * HW, &k, offset);
  report("output", &ty, 1, &k, offset);
  for (int j = 0; j < 2; j++) free(dx[j]), free(dw[j]), free(db[j]), free(yr[j]);
  free(x), free(w), free(b), free(dy), free(d0), free(w0), free(b0), free(y), free(mean);
  free(rstd), free(bits), free(want), free(xh), free(dx32), free(dw32), free(db32);
  free(dw_only), free(db_only), free(S), free(G1), free(G2), free(Sw);
  par_set_threads(0);
}

int main(void) {
  for (int threads = 1; threads <= 2; threads++) {
    check_case((Norm){0, 1, 2, 37, 64, 8}, 0, 1, threads);       // one segment
    check_case((Norm){0, 1, 3, 9, 768, 32}, 0, 2, threads);      // two segments, several blocks
    check_case((Norm){0, 1, 2, 16, 1024, 1}, 0, 3, threads);     // one group wider than a segment
    check_case((Norm){0, 1, 4, 64, 128, 32}, 1e4f, 4, threads);  // mean far from zero
    // LayerNorm: rows of one chunk, of several (a partial last one), a mean far from zero
    check_case((Norm){1, 1, 64, 1, 96, 1}, 0, 5, threads);
    check_case((Norm){1, 0, 48, 1, 1100, 1}, 0, 6, threads);
    check_case((Norm){1, 0, 96, 1, 256, 1}, 1e4f, 7, threads);
  }
  return check_finish("norm_bf16");
}
