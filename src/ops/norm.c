// GroupNorm over NHWC (B, HW, C) (LayerNorm: layernorm.c).
// Legend: B batch, HW positions, C channels, G groups, Cg = C/G channels per group,
// n = HW*Cg elements per (b, g) statistic.
//
// NHWC puts a group's channels side by side in every row, so the kernels walk each
// example's (HW, C) tile row by row over a *segment* of up to SEG contiguous
// channels, keeping per-channel double accumulators on the stack: one streaming
// pass yields the statistics of every group in the segment, and the inner loop is
// a flat, vectorizable loop over contiguous floats. A *block* is a set of whole
// groups (or one group wider than SEG) whose statistics are final after its pass.
// Variance uses sums of (x - k) with k the group's first element, so the
// one-pass formula does not cancel when |mean| >> std.
#include "ops/norm.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/fastexp.h"
#include "core/float_bits.h"
#include "ops/parallel.h"
#include "ops/silu_value.h"

enum { SEG = 512 };  // channels per segment: per-channel stack arrays of this size

typedef struct {
  int B, HW, C, G, Cg;
} GnDims;

// Channel range [c0, c1) of the block that starts at c0: whole groups fitting in SEG
// channels, or a single group when one group alone is wider than SEG.
static int block_end(const GnDims *d, int c0) {
  int groups = d->Cg <= SEG ? SEG / d->Cg : 1;
  int c1 = c0 + groups * d->Cg;
  return c1 < d->C ? c1 : d->C;
}

static int seg_end(int s0, int c1) { return s0 + SEG < c1 ? s0 + SEG : c1; }

// grp[j] = group of channel s0 + j, without a division per channel.
static void seg_groups(int *grp, const GnDims *d, int s0, int len) {
  int g = s0 / d->Cg, next = (g + 1) * d->Cg;
  for (int j = 0; j < len; j++) {
    if (s0 + j == next) {
      g++;
      next += d->Cg;
    }
    grp[j] = g;
  }
}

// Forward statistics of the groups in block [c0, c1) of example b -> mean, rstd.
VDMC_SIMD_CLONES
static void gn_block_stats(float *mean, float *rstd, const float *x /* (HW,C) of b */,
                           const GnDims *d, int b, int c0, int c1) {
  double gs[SEG], gq[SEG];  // per group of the block: sum of (x-k), sum of (x-k)^2
  int g0 = c0 / d->Cg, ng = (c1 - c0) / d->Cg;
  for (int g = 0; g < ng; g++) gs[g] = gq[g] = 0;
  for (int s0 = c0; s0 < c1; s0 += SEG) {
    int len = seg_end(s0, c1) - s0;
    double k[SEG], s[SEG], q[SEG];
    int grp[SEG];
    seg_groups(grp, d, s0, len);
    for (int j = 0; j < len; j++) {
      k[j] = x[(size_t)grp[j] * d->Cg];  // first element of the channel's group
      s[j] = q[j] = 0;
    }
    for (size_t p = 0; p < (size_t)d->HW; p++) {
      const float *row = x + p * (size_t)d->C + s0;
      for (int j = 0; j < len; j++) {
        double v = (double)row[j] - k[j];
        s[j] += v;
        q[j] += v * v;
      }
    }
    for (int j = 0; j < len; j++) {
      gs[grp[j] - g0] += s[j];
      gq[grp[j] - g0] += q[j];
    }
  }
  double n = (double)d->HW * d->Cg;
  for (int g = 0; g < ng; g++) {
    double m = gs[g] / n;
    double var = gq[g] / n - m * m;
    if (var < 0) var = 0;
    size_t i = (size_t)b * d->G + g0 + g;
    mean[i] = (float)((double)x[(size_t)(g0 + g) * d->Cg] + m);
    rstd[i] = (float)(1.0 / sqrt(var + NORM_EPS));
  }
}

// out = (x - mean_g) * (rstd_g * weight_c) + bias_c over segment [s0, s0+len), or
// silu of it: the value is formed the same way and SiLU applied to it before it is
// stored, so the bits of silu_forward over the stored output.
VDMC_SIMD_CLONES
static void gn_segment_normalize(float *out, const float *x, const float *mean_b,
                                 const float *rstd_b, const float *weight, const float *bias,
                                 int silu, const GnDims *d, int s0, int len) {
  float m[SEG], a[SEG], sh[SEG];
  int grp[SEG];
  seg_groups(grp, d, s0, len);
  for (int j = 0; j < len; j++) {
    int c = s0 + j, g = grp[j];
    m[j] = mean_b[g];
    a[j] = rstd_b[g] * weight[c];
    sh[j] = bias[c];
  }
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const float *xr = x + p * (size_t)d->C + s0;
    float *yr = out + p * (size_t)d->C + s0;
    if (silu)
      for (int j = 0; j < len; j++) yr[j] = silu_value((xr[j] - m[j]) * a[j] + sh[j]);
    else
      for (int j = 0; j < len; j++) yr[j] = (xr[j] - m[j]) * a[j] + sh[j];
  }
}

// Arguments of the threaded GroupNorm passes (forward and backward).
typedef struct {
  float *out, *mean, *rstd;       // forward outputs
  float *dinp, *dweight, *dbias;  // backward outputs
  const float *inp, *dout, *weight, *bias;
  const float *cmean, *crstd;     // backward: saved statistics
  int silu;                       // forward: out = silu(GroupNorm)
  const RoundedNormal *xn;      // bf16 backward: x-hat rounded, instead of inp
  uint16_t *xhat_bits;            // groupnorm_normalized_bits' output
  int params_in_dinp;             // backward: dweight/dbias summed in the dinp pass
  float *terms;  // backward on threads: per example (dbias terms (C), dweight terms (C))
  GnDims d;
} GnArgs;

// The writing pass of example b's channels [c0, c1): forward (right after the block's
// statistics, while it is in cache) and groupnorm_from_stats share it, so their bits agree.
static void gn_block_normalize(const GnArgs *a, size_t b, const float *mb, const float *rb, int c0, int c1) {
  size_t tile = (size_t)a->d.HW * a->d.C;
  for (int s0 = c0; s0 < c1; s0 += SEG)
    gn_segment_normalize(a->out + b * tile, a->inp + b * tile, mb, rb, a->weight, a->bias,
                         a->silu, &a->d, s0, seg_end(s0, c1) - s0);
}

// Forward of examples [lo, hi).
static void gn_forward_range(void *ctx, size_t lo, size_t hi) {
  GnArgs *a = ctx;
  const GnDims *d = &a->d;
  size_t tile = (size_t)d->HW * d->C;
  for (size_t b = lo; b < hi; b++) {
    const float *x = a->inp + b * tile;
    const float *mb = a->mean + b * d->G, *rb = a->rstd + b * d->G;
    for (int c0 = 0; c0 < d->C; c0 = block_end(d, c0)) {
      int c1 = block_end(d, c0);
      gn_block_stats(a->mean, a->rstd, x, d, (int)b, c0, c1);
      gn_block_normalize(a, b, mb, rb, c0, c1);
    }
  }
}

// The normalizing pass alone, of examples [lo, hi), from saved statistics.
static void gn_from_stats_range(void *ctx, size_t lo, size_t hi) {
  GnArgs *a = ctx;
  const GnDims *d = &a->d;
  for (size_t b = lo; b < hi; b++) {
    const float *mb = a->cmean + b * d->G, *rb = a->crstd + b * d->G;
    for (int c0 = 0; c0 < d->C; c0 = block_end(d, c0)) gn_block_normalize(a, b, mb, rb, c0, block_end(d, c0));
  }
}

static void from_stats(float *out, const float *inp, const float *weight, const float *bias,
                       const float *mean, const float *rstd, int silu, int B, int HW, int C,
                       int G) {
  GnArgs a = {.out = out, .inp = inp, .weight = weight, .bias = bias, .cmean = mean,
              .crstd = rstd, .silu = silu, .d = {B, HW, C, G, C / G}};
  par_for((size_t)B, 1, (size_t)B * HW * C, gn_from_stats_range, &a);
}

void groupnorm_from_stats(float *out, const float *inp, const float *weight, const float *bias,
                          const float *mean, const float *rstd, int B, int HW, int C, int G) {
  from_stats(out, inp, weight, bias, mean, rstd, 0, B, HW, C, G);
}

void groupnorm_silu_from_stats(float *out, const float *inp, const float *weight,
                               const float *bias, const float *mean, const float *rstd, int B,
                               int HW, int C, int G) {
  from_stats(out, inp, weight, bias, mean, rstd, 1, B, HW, C, G);
}

// Threads take whole examples: statistics are per example, so nothing is shared.
static void forward(float *out, float *mean, float *rstd, const float *inp, const float *weight,
                    const float *bias, int silu, int B, int HW, int C, int G) {
  GnArgs a = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .weight = weight,
              .bias = bias, .silu = silu, .d = {B, HW, C, G, C / G}};
  par_for((size_t)B, 1, (size_t)B * HW * C, gn_forward_range, &a);
}

void groupnorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int B, int HW, int C, int G) {
  forward(out, mean, rstd, inp, weight, bias, 0, B, HW, C, G);
}

void groupnorm_silu_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int B, int HW, int C,
                            int G) {
  forward(out, mean, rstd, inp, weight, bias, 1, B, HW, C, G);
}

// Backward pass 1 over segment [s0, s0+len): per channel sum(dy) and
// sum(dy * (x - mean)); adds to the group sums g1 = sum(dy*w) and g2 = sum(dy*w*xhat)
// (indexed by group - g0), and gives dbias[c] this example's sum(dy) and dweight[c] its
// rstd * sum(dy * (x - mean)): added to them, or with `store` written (an example's row
// of terms that are added later in example order).
VDMC_SIMD_CLONES
static void gn_segment_reduce(float *dweight, float *dbias, int store, double *g1, double *g2,
                              const float *dy, const float *x, const float *weight,
                              const float *mean_b, const float *rstd_b, const GnDims *d,
                              int g0, int s0, int len) {
  float m[SEG];
  double sa[SEG], sb[SEG];
  int grp[SEG];
  seg_groups(grp, d, s0, len);
  for (int j = 0; j < len; j++) {
    m[j] = mean_b[grp[j]];
    sa[j] = sb[j] = 0;
  }
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const float *xr = x + p * (size_t)d->C + s0;
    const float *dr = dy + p * (size_t)d->C + s0;
    for (int j = 0; j < len; j++) {
      double t = dr[j];
      sa[j] += t;
      sb[j] += t * (double)(xr[j] - m[j]);
    }
  }
  for (int j = 0; j < len; j++) {
    int c = s0 + j, g = grp[j];
    double r = rstd_b[g];
    float tb = (float)sa[j], tw = (float)(r * sb[j]);
    if (dbias) dbias[c] = store ? tb : dbias[c] + tb;
    if (dweight) dweight[c] = store ? tw : dweight[c] + tw;
    g1[g - g0] += weight[c] * sa[j];
    g2[g - g0] += weight[c] * r * sb[j];
  }
}

// Backward pass 2: dx += rstd * (dy*w - mean(dy*w) - xhat * mean(dy*w*xhat)).
VDMC_SIMD_CLONES
static void gn_segment_dinp(float *dinp, const float *dy, const float *x, const float *weight,
                            const float *mean_b, const float *rstd_b, const double *g1,
                            const double *g2, const GnDims *d, int g0, int s0, int len) {
  float m[SEG], a[SEG], e[SEG], f[SEG];
  double n = (double)d->HW * d->Cg;
  int grp[SEG];
  seg_groups(grp, d, s0, len);
  for (int j = 0; j < len; j++) {
    int c = s0 + j, g = grp[j];
    double r = rstd_b[g];
    m[j] = mean_b[g];
    a[j] = (float)(r * weight[c]);
    e[j] = (float)(r * r * g2[g - g0] / n);
    f[j] = (float)(r * g1[g - g0] / n);
  }
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const float *xr = x + p * (size_t)d->C + s0;
    const float *dr = dy + p * (size_t)d->C + s0;
    float *gr = dinp + p * (size_t)d->C + s0;
    for (int j = 0; j < len; j++) gr[j] += dr[j] * a[j] - (xr[j] - m[j]) * e[j] - f[j];
  }
}

// ---- from the normalized input rounded to bf16 (bf16 steps) ------------------------------

// The same source from element t on (an example's tile).
static RoundedNormal normal_at(RoundedNormal xn, size_t t) {
  return (RoundedNormal){xn.x ? xn.x + t : NULL, xn.bits ? xn.bits + t : NULL};
}

// Per channel of segment [s0, s0+len): its group, the group's mean and rstd.
static void seg_stats(int *grp, float *m, float *r, const float *mean_b, const float *rstd_b,
                      const GnDims *d, int s0, int len) {
  seg_groups(grp, d, s0, len);
  for (int j = 0; j < len; j++) m[j] = mean_b[grp[j]], r[j] = rstd_b[grp[j]];
}

// Row p's x-hat over the segment (off: the row's first element in the example's tile):
// the kept bits widened, or (x - mean) * rstd in float from forward's statistics,
// rounded to bf16; the same values either way. The one place x-hat is formed.
static inline __attribute__((always_inline)) void rounded_normal_row(
    float *xh, RoundedNormal xn, size_t off, const float *m, const float *r, int len) {
  if (xn.bits)
    for (int j = 0; j < len; j++) xh[j] = bf16_widened(xn.bits[off + j]);
  else
    for (int j = 0; j < len; j++) xh[j] = bf16_rounded((xn.x[off + j] - m[j]) * r[j]);
}

// bits = x-hat of x rounded to bf16 over the segment (in two loops: one writing floats
// and 16-bit values is vectorized 4 wide by GCC 12).
VDMC_SIMD_CLONES
static void gn_segment_normalized_bits(uint16_t *bits, const float *x, const float *mean_b,
                                       const float *rstd_b, const GnDims *d, int s0, int len) {
  float m[SEG], r[SEG], xh[SEG];
  int grp[SEG];
  seg_stats(grp, m, r, mean_b, rstd_b, d, s0, len);
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const size_t off = p * (size_t)d->C + s0;
    rounded_normal_row(xh, (RoundedNormal){x, NULL}, off, m, r, len);
    for (int j = 0; j < len; j++) bits[off + j] = bf16_bits(xh[j]);  // already rounded
  }
}

// out = x-hat * weight + bias over the segment.
VDMC_SIMD_CLONES
static void gn_segment_affine_normal(float *out, RoundedNormal xn, const float *mean_b,
                                     const float *rstd_b, const float *weight, const float *bias,
                                     const GnDims *d, int s0, int len) {
  float m[SEG], r[SEG], xh[SEG];
  int grp[SEG];
  seg_stats(grp, m, r, mean_b, rstd_b, d, s0, len);
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const size_t off = p * (size_t)d->C + s0;
    rounded_normal_row(xh, xn, off, m, r, len);
    for (int j = 0; j < len; j++) out[off + j] = xh[j] * weight[s0 + j] + bias[s0 + j];
  }
}

// gn_segment_reduce from x-hat: per channel sum(dy) and sum(dy * x-hat), which is
// dweight's term itself (x-hat carries rstd).
VDMC_SIMD_CLONES
static void gn_segment_reduce_normal(float *dweight, float *dbias, int store, double *g1,
                                     double *g2, const float *dy, RoundedNormal xn,
                                     const float *weight, const float *mean_b,
                                     const float *rstd_b, const GnDims *d, int g0, int s0,
                                     int len) {
  float m[SEG], r[SEG], xh[SEG];
  double sa[SEG], sb[SEG];
  int grp[SEG];
  seg_stats(grp, m, r, mean_b, rstd_b, d, s0, len);
  for (int j = 0; j < len; j++) sa[j] = sb[j] = 0;
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const size_t off = p * (size_t)d->C + s0;
    rounded_normal_row(xh, xn, off, m, r, len);
    for (int j = 0; j < len; j++) {
      double t = dy[off + j];
      sa[j] += t;
      sb[j] += t * (double)xh[j];
    }
  }
  for (int j = 0; j < len; j++) {
    int c = s0 + j, g = grp[j];
    float tb = (float)sa[j], tw = (float)sb[j];
    if (dbias) dbias[c] = store ? tb : dbias[c] + tb;
    if (dweight) dweight[c] = store ? tw : dweight[c] + tw;
    g1[g - g0] += weight[c] * sa[j];
    g2[g - g0] += weight[c] * sb[j];
  }
}

// gn_segment_dinp from x-hat: dx += rstd * (dy*w - mean(dy*w) - x-hat * mean(dy*w*x-hat)).
VDMC_SIMD_CLONES
static void gn_segment_dinp_normal(float *dinp, const float *dy, RoundedNormal xn,
                                   const float *weight, const float *mean_b, const float *rstd_b,
                                   const double *g1, const double *g2, const GnDims *d, int g0,
                                   int s0, int len) {
  float m[SEG], r[SEG], xh[SEG], a[SEG], e[SEG], f[SEG];
  double n = (double)d->HW * d->Cg;
  int grp[SEG];
  seg_stats(grp, m, r, mean_b, rstd_b, d, s0, len);
  for (int j = 0; j < len; j++) {
    int c = s0 + j, g = grp[j];
    double rd = r[j];
    a[j] = (float)(rd * weight[c]);
    e[j] = (float)(rd * g2[g - g0] / n);
    f[j] = (float)(rd * g1[g - g0] / n);
  }
  for (size_t p = 0; p < (size_t)d->HW; p++) {
    const size_t off = p * (size_t)d->C + s0;
    rounded_normal_row(xh, xn, off, m, r, len);
    for (int j = 0; j < len; j++) dinp[off + j] += dy[off + j] * a[j] - xh[j] * e[j] - f[j];
  }
}

// Pass 1 over segment [s0, s0 + len) of example b (tile offset t, statistics mb, rb):
// from the input, or from x-hat rounded when a->xn is set.
static void gn_reduce(const GnArgs *a, float *dweight, float *dbias, int store, double *g1,
                      double *g2, size_t t, const float *mb, const float *rb, int g0, int s0,
                      int len) {
  const GnDims *d = &a->d;
  if (!a->xn) {
    gn_segment_reduce(dweight, dbias, store, g1, g2, a->dout + t, a->inp + t, a->weight, mb, rb,
                      d, g0, s0, len);
    return;
  }
  gn_segment_reduce_normal(dweight, dbias, store, g1, g2, a->dout + t, normal_at(*a->xn, t),
                           a->weight, mb, rb, d, g0, s0, len);
}

// dinp of examples [lo, hi): per block, the group sums g1, g2 (pass 1), then the
// writing pass.
static void gn_dinp_range(void *ctx, size_t lo, size_t hi) {
  GnArgs *a = ctx;
  const GnDims *d = &a->d;
  size_t tile = (size_t)d->HW * d->C;
  for (size_t b = lo; b < hi; b++) {
    const float *x = a->inp ? a->inp + b * tile : NULL, *dy = a->dout + b * tile;
    const float *mb = a->cmean + b * d->G, *rb = a->crstd + b * d->G;
    for (int c0 = 0; c0 < d->C; c0 = block_end(d, c0)) {
      int c1 = block_end(d, c0), g0 = c0 / d->Cg;
      double g1[SEG], g2[SEG];
      for (int g = 0; g < (c1 - c0) / d->Cg; g++) g1[g] = g2[g] = 0;
      float *tb = a->terms ? a->terms + 2 * b * d->C : NULL, *tw = tb ? tb + d->C : NULL;
      for (int s0 = c0; s0 < c1; s0 += SEG)
        if (a->terms)
          gn_reduce(a, tw, tb, 1, g1, g2, b * tile, mb, rb, g0, s0, seg_end(s0, c1) - s0);
        else
          gn_reduce(a, a->params_in_dinp ? a->dweight : NULL, a->params_in_dinp ? a->dbias : NULL,
                    0, g1, g2, b * tile, mb, rb, g0, s0, seg_end(s0, c1) - s0);
      for (int s0 = c0; s0 < c1; s0 += SEG)
        if (a->xn)
          gn_segment_dinp_normal(a->dinp + b * tile, dy, normal_at(*a->xn, b * tile), a->weight,
                                 mb, rb, g1, g2, d, g0, s0, seg_end(s0, c1) - s0);
        else
          gn_segment_dinp(a->dinp + b * tile, dy, x, a->weight, mb, rb, g1, g2, d, g0, s0,
                          seg_end(s0, c1) - s0);
    }
  }
}

// dweight, dbias of channels [lo, hi): sums over all examples in example order.
static void gn_params_range(void *ctx, size_t lo, size_t hi) {
  GnArgs *a = ctx;
  const GnDims *d = &a->d;
  size_t tile = (size_t)d->HW * d->C;
  for (size_t b = 0; b < (size_t)d->B; b++) {
    for (int s0 = (int)lo; s0 < (int)hi; s0 += SEG) {
      double g1[SEG], g2[SEG];  // group sums of a partial segment: not used here
      int g0 = s0 / d->Cg, len = seg_end(s0, (int)hi) - s0;
      for (int g = 0; g < SEG; g++) g1[g] = g2[g] = 0;
      gn_reduce(a, a->dweight, a->dbias, 0, g1, g2, b * tile, a->cmean + b * d->G,
                a->crstd + b * d->G, g0, s0, len);
    }
  }
}

// dweight, dbias of channels [lo, hi) from the dinp pass's per-example terms, added in
// example order: the additions gn_params_range (and one thread's dinp pass) make.
static void gn_params_from_terms(void *ctx, size_t lo, size_t hi) {
  GnArgs *a = ctx;
  const size_t C = (size_t)a->d.C;
  for (size_t b = 0; b < (size_t)a->d.B; b++) {
    const float *tb = a->terms + 2 * b * C, *tw = tb + C;
    for (size_t c = lo; c < hi; c++) {
      if (a->dbias) a->dbias[c] += tb[c];
      if (a->dweight) a->dweight[c] += tw[c];
    }
  }
}

// Threads take whole examples for dinp (per-example sums only), then channel ranges
// for dweight/dbias (each channel summed over examples in order by one thread), so the
// result does not depend on the thread count. On one thread the dinp pass sums the
// parameters' gradients as it goes; on more, it keeps each example's terms (2 C floats)
// for the channel pass to add, and only if those cannot be allocated does the channel
// pass read dy and x once more (gn_params_range: the same terms, the same additions).
static void backward(GnArgs a) {
  const int B = a.d.B, C = a.d.C;
  float *dinp = a.dinp;
  const size_t work = (size_t)B * a.d.HW * C;
  const int params = a.dweight || a.dbias;
  a.params_in_dinp = dinp && par_threads(work) == 1;
  if (dinp && params && !a.params_in_dinp) a.terms = malloc(2 * (size_t)B * C * sizeof(float));
  if (dinp) par_for((size_t)B, 1, work, gn_dinp_range, &a);
  if (a.terms)
    par_for((size_t)C, 16, 2 * (size_t)B * C, gn_params_from_terms, &a);
  else if (params && !a.params_in_dinp)
    par_for((size_t)C, 16, work, gn_params_range, &a);
  free(a.terms);
}

void groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int HW, int C, int G) {
  backward((GnArgs){.dinp = dinp, .dweight = dweight, .dbias = dbias, .inp = inp, .dout = dout,
                    .weight = weight, .cmean = mean, .crstd = rstd, .d = {B, HW, C, G, C / G}});
}

void groupnorm_backward_rounded_normal(float *dinp, float *dweight, float *dbias,
                                       const float *dout, RoundedNormal xn,
                                       const float *weight, const float *mean, const float *rstd,
                                       int B, int HW, int C, int G) {
  backward((GnArgs){.dinp = dinp, .dweight = dweight, .dbias = dbias, .xn = &xn, .dout = dout,
                    .weight = weight, .cmean = mean, .crstd = rstd, .d = {B, HW, C, G, C / G}});
}

// Examples [lo, hi), every block: groupnorm_normalized_bits, or with out the affine
// output from x-hat rounded (groupnorm_from_rounded_normal).
static void gn_normal_range(void *ctx, size_t lo, size_t hi) {
  const GnArgs *a = ctx;
  const GnDims *d = &a->d;
  const size_t tile = (size_t)d->HW * d->C;
  for (size_t b = lo; b < hi; b++) {
    const float *mb = a->cmean + b * d->G, *rb = a->crstd + b * d->G;
    for (int s0 = 0; s0 < d->C; s0 += SEG) {
      int len = seg_end(s0, d->C) - s0;
      if (a->out)
        gn_segment_affine_normal(a->out + b * tile, normal_at(*a->xn, b * tile), mb, rb,
                                 a->weight, a->bias, d, s0, len);
      else
        gn_segment_normalized_bits(a->xhat_bits + b * tile, a->inp + b * tile, mb, rb, d, s0,
                                   len);
    }
  }
}

void groupnorm_normalized_bits(uint16_t *bits, const float *inp, const float *mean,
                               const float *rstd, int B, int HW, int C, int G) {
  GnArgs a = {.xhat_bits = bits, .inp = inp, .cmean = mean, .crstd = rstd,
              .d = {B, HW, C, G, C / G}};
  par_for((size_t)B, 1, (size_t)B * HW * C, gn_normal_range, &a);
}

void groupnorm_from_rounded_normal(float *out, RoundedNormal xn, const float *weight,
                                   const float *bias, const float *mean, const float *rstd,
                                   int B, int HW, int C, int G) {
  GnArgs a = {.out = out, .xn = &xn, .weight = weight, .bias = bias, .cmean = mean,
              .crstd = rstd, .d = {B, HW, C, G, C / G}};
  par_for((size_t)B, 1, (size_t)B * HW * C, gn_normal_range, &a);
}
