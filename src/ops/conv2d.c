// 2-D convolution on NHWC tensors as GEMMs (see docs/ops.md).
// Legend: B batch, H/W input size, Ho/Wo output size, Cin/Cout channels,
// M = B*Ho*Wo output pixels (GEMM rows), K = kh*kw*Cin (GEMM depth), N = Cout.
//
// The weight (kh,kw,Cin,Cout) is already the row-major (K, N) GEMM operand, and an
// im2col row of an output pixel is its kh*kw input taps in (ky, kx, ci) order, so
//   forward   out  (M,N)  = col (M,K) . W (K,N)  [+ bias]
//   backward  dW   (K,N) += (dout^T . col)^T
//             dinp       += dout "convolved" with W flipped and transposed (stride 1),
//                           or dcol (M,K) = dout . W^T and col2im adds dcol into dinp.
// Threads (ops/parallel.h): the forward cuts the M rows into blocks (a function of the
// shape only); each thread takes a run of blocks and, per block, builds the block's
// col rows in its own scratch slot and multiplies them at once (gemm_block): no
// barrier between im2col and GEMM. dW walks chunks of CONV_SLOTS blocks: im2col over
// the threads, then one GEMM cut by ops/gemm.h. So every sum has the same order for
// any thread count. A 1x1 stride-1 conv needs no col buffer: col == inp.
#include "ops/conv2d.h"

#include <string.h>

#include "ops/conv2d_winograd.h"
#include "ops/gemm.h"
#include "ops/parallel.h"
#include "ops/tensor_ops.h"

// A block holds about CONV_BLOCK_FLOATS of col (1 MB: an L2's worth) and at most
// 1/CONV_SLOTS of the rows; the scratch holds CONV_SLOTS blocks, so up to CONV_SLOTS
// threads build and multiply blocks at once.
#define CONV_BLOCK_FLOATS ((size_t)1 << 18)
enum { CONV_SLOTS = 8 };

Conv2dDims conv2d_dims(int B, int H, int W, int Cin, int Cout, int k, int stride) {
  Conv2dDims d = {B, H, W, Cin, Cout, k, k, stride, k / 2, k / 2, CONV_ALGO_AUTO};
  return d;
}

int conv2d_out_h(const Conv2dDims *d) { return (d->H + 2 * d->pad_h - d->kh) / d->stride + 1; }
int conv2d_out_w(const Conv2dDims *d) { return (d->W + 2 * d->pad_w - d->kw) / d->stride + 1; }

static size_t conv_rows(const Conv2dDims *d) {
  return (size_t)d->B * (size_t)conv2d_out_h(d) * (size_t)conv2d_out_w(d);
}

static size_t conv_depth(const Conv2dDims *d) { return (size_t)d->kh * (size_t)d->kw * (size_t)d->Cin; }

static int conv_is_pointwise(const Conv2dDims *d) {
  return d->kh == 1 && d->kw == 1 && d->stride == 1 && d->pad_h == 0 && d->pad_w == 0;
}

static size_t conv_block_rows(const Conv2dDims *d) {
  size_t m = conv_rows(d), rows = CONV_BLOCK_FLOATS / conv_depth(d);
  size_t share = (m + CONV_SLOTS - 1) / CONV_SLOTS;
  if (rows > share) rows = share;
  return rows < 1 ? 1 : rows;
}

// Rows of col the scratch holds: CONV_SLOTS blocks (or all M rows).
static size_t conv_chunk_rows(const Conv2dDims *d) {
  size_t m = conv_rows(d), rows = CONV_SLOTS * conv_block_rows(d);
  return rows < m ? rows : m;
}

// The backward pass for dinp of a stride-1 conv as a forward conv of dout: same kernel
// size, padding k-1-pad, Cin and Cout swapped (possible when pad <= k-1). Its GEMM has
// N = Cin columns: with fewer than CONV_TRANSPOSED_MIN_CIN (an image's 1-3 channels)
// dcol + col2im is cheaper (bench_ops "fmnist in": 4 GFLOP/s against 12).
enum { CONV_TRANSPOSED_MIN_CIN = 16 };

static int conv_transposed_dims(const Conv2dDims *d, Conv2dDims *t) {
  if (d->stride != 1 || d->pad_h > d->kh - 1 || d->pad_w > d->kw - 1 || conv_is_pointwise(d) ||
      d->Cin < CONV_TRANSPOSED_MIN_CIN)
    return 0;
  Conv2dDims r = {d->B,  conv2d_out_h(d),       conv2d_out_w(d),       d->Cout, d->Cin,
                  d->kh, d->kw, 1, d->kh - 1 - d->pad_h, d->kw - 1 - d->pad_w, d->algo};
  *t = r;
  return 1;
}

// Scratch of conv_run (forward, transposed dinp) and conv_dweight: Winograd's buffers,
// or dW^T (K, N) + the col rows of a chunk (dcol: the same).
static size_t conv_run_floats(const Conv2dDims *d) {
  if (conv2d_winograd_applies(d)) return winograd_scratch_floats(d);
  return conv_depth(d) * (size_t)d->Cout + (conv_is_pointwise(d) ? 0 : conv_chunk_rows(d) * conv_depth(d));
}

size_t conv2d_scratch_floats(const Conv2dDims *d) {
  size_t n = conv_run_floats(d);
  Conv2dDims t;
  if (conv_transposed_dims(d, &t)) {  // flipped weight + the transposed conv's scratch
    size_t nt = conv_depth(d) * (size_t)d->Cout + conv_run_floats(&t);
    if (nt > n) n = nt;
  }
  return n;
}

// Position of one output pixel (GEMM row) while walking rows in order.
typedef struct {
  size_t b;
  int oy, ox;
} ConvPixel;

static ConvPixel conv_pixel_at(const Conv2dDims *d, size_t r) {
  const size_t Ho = (size_t)conv2d_out_h(d), Wo = (size_t)conv2d_out_w(d);
  ConvPixel px = {r / (Ho * Wo), (int)(r % (Ho * Wo) / Wo), (int)(r % Wo)};
  return px;
}

static void conv_pixel_next(const Conv2dDims *d, ConvPixel *px) {
  if (++px->ox < conv2d_out_w(d)) return;
  px->ox = 0;
  if (++px->oy < conv2d_out_h(d)) return;
  px->oy = 0;
  px->b++;
}

// Kernel row ky of pixel px: the valid taps kx in [*kx0, *kx1) read consecutive
// input pixels, i.e. one contiguous run of (kx1-kx0)*Cin floats starting at the
// returned offset into the (B,H,W,Cin) image. Returns 0 when no tap is inside.
static int conv_tap_run(const Conv2dDims *d, ConvPixel px, int ky, size_t *img_off, int *kx0,
                        int *kx1) {
  const int iy = px.oy * d->stride + ky - d->pad_h, ix0 = px.ox * d->stride - d->pad_w;
  *kx0 = ix0 < 0 ? -ix0 : 0;
  *kx1 = ix0 + d->kw > d->W ? d->W - ix0 : d->kw;
  if (iy < 0 || iy >= d->H || *kx1 <= *kx0) return 0;
  *img_off = ((px.b * (size_t)d->H + (size_t)iy) * (size_t)d->W + (size_t)(ix0 + *kx0)) *
             (size_t)d->Cin;
  return 1;
}

// col rows [0, rows) <- the taps of output rows [r0, r0+rows); zeros outside the image.
static void conv_im2col_rows(float *col /* (rows, K) */, const float *inp /* (B,H,W,Cin) */,
                             const Conv2dDims *d, size_t r0, size_t rows) {
  const size_t C = (size_t)d->Cin, kc = (size_t)d->kw * C;
  ConvPixel px = conv_pixel_at(d, r0);
  for (size_t r = 0; r < rows; r++, conv_pixel_next(d, &px)) {
    for (int ky = 0; ky < d->kh; ky++) {
      float *seg = col + r * conv_depth(d) + (size_t)ky * kc;
      size_t off;
      int kx0, kx1;
      if (!conv_tap_run(d, px, ky, &off, &kx0, &kx1)) {
        memset(seg, 0, kc * sizeof(float));
        continue;
      }
      // interior pixels (most) need no border zeros: skip the empty memset calls
      if (kx0 > 0) memset(seg, 0, (size_t)kx0 * C * sizeof(float));
      memcpy(seg + (size_t)kx0 * C, inp + off, (size_t)(kx1 - kx0) * C * sizeof(float));
      if (kx1 < d->kw) memset(seg + (size_t)kx1 * C, 0, (size_t)(d->kw - kx1) * C * sizeof(float));
    }
  }
}

typedef struct {
  float *col;          // im2col: the chunk's col rows; col2im: dinp
  const float *src;    // im2col: the image; col2im: the chunk's dcol rows
  const Conv2dDims *d;
  size_t r0, rows;     // the chunk's output rows
  size_t phase;        // col2im: image rows with oy % phases == phase
} ConvColArgs;

static void im2col_range(void *ctx, size_t lo, size_t hi) {
  const ConvColArgs *a = ctx;
  conv_im2col_rows(a->col + lo * conv_depth(a->d), a->src, a->d, a->r0 + lo, hi - lo);
}

// The same, threads taking contiguous row ranges.
static void conv_im2col(float *col, const float *inp, const Conv2dDims *d, size_t r0,
                        size_t rows) {
  ConvColArgs a = {col, inp, d, r0, rows, 0};
  par_for(rows, 1, rows * conv_depth(d), im2col_range, &a);
}

// dinp taps of output rows [r0, r0+rows) += dcol rows (taps outside the image dropped).
static void conv_col2im_rows(float *dinp /* (B,H,W,Cin) */, const float *dcol /* (rows, K) */,
                             const Conv2dDims *d, size_t r0, size_t rows) {
  const size_t C = (size_t)d->Cin, kc = (size_t)d->kw * C;
  ConvPixel px = conv_pixel_at(d, r0);
  for (size_t r = 0; r < rows; r++, conv_pixel_next(d, &px)) {
    for (int ky = 0; ky < d->kh; ky++) {
      size_t off;
      int kx0, kx1;
      if (!conv_tap_run(d, px, ky, &off, &kx0, &kx1)) continue;
      const float *src = dcol + r * conv_depth(d) + (size_t)ky * kc + (size_t)kx0 * C;
      float *dst = dinp + off;
      const size_t n = (size_t)(kx1 - kx0) * C;
      for (size_t i = 0; i < n; i++) dst[i] += src[i];
    }
  }
}

// col2im phases: output rows whose input rows can overlap, ceil(kh / stride).
static size_t conv_col2im_phases(const Conv2dDims *d) {
  return (size_t)((d->kh + d->stride - 1) / d->stride);
}

// Units [lo, hi) are image rows q0 + u of the chunk; only those of the current phase run.
static void col2im_range(void *ctx, size_t lo, size_t hi) {
  const ConvColArgs *a = ctx;
  const Conv2dDims *d = a->d;
  const size_t Wo = (size_t)conv2d_out_w(d), Ho = (size_t)conv2d_out_h(d);
  const size_t phases = conv_col2im_phases(d), q0 = a->r0 / Wo;
  for (size_t q = q0 + lo; q < q0 + hi; q++) {
    if (q % Ho % phases != a->phase) continue;
    size_t r = q * Wo > a->r0 ? q * Wo : a->r0;
    size_t e = (q + 1) * Wo < a->r0 + a->rows ? (q + 1) * Wo : a->r0 + a->rows;
    conv_col2im_rows(a->col, a->src + (r - a->r0) * conv_depth(d), d, r, e - r);
  }
}

// col2im over threads without races: the unit is one output image row (b, oy), which
// writes input rows oy*stride - pad_h .. + kh-1; units whose oy differ by a multiple of
// ceil(kh/stride) never write the same input row. So the rows run in phases
// oy mod ceil(kh/stride) = 0, 1, ...; units of one phase run in parallel. Every input
// element receives its contributions in the same order for any thread count.
static void conv_col2im(float *dinp, const float *dcol, const Conv2dDims *d, size_t r0,
                        size_t rows) {
  const size_t Wo = (size_t)conv2d_out_w(d);
  const size_t q0 = r0 / Wo, q1 = (r0 + rows + Wo - 1) / Wo;  // image rows touched
  const size_t phases = conv_col2im_phases(d);
  ConvColArgs a = {dinp, dcol, d, r0, rows, 0};
  for (a.phase = 0; a.phase < phases; a.phase++)
    par_for(q1 - q0, 1, rows * conv_depth(d) / phases, col2im_range, &a);
}

// ---- forward: blocks of rows, im2col + GEMM per block on one thread -------------------

typedef struct {
  float *out;             // (M, N)
  const float *inp;       // (B, H, W, Cin)
  const float *weight;    // (K, N)
  const float *bias;      // (N) or NULL
  const Conv2dDims *d;
  float *scratch;         // CONV_SLOTS slots of block_rows x K
  float beta;             // 0 overwrites out, 1 accumulates (ignored with a bias)
  size_t block_rows;
} ConvRun;

static void conv_run_blocks(void *ctx, int part, size_t lo, size_t hi) {
  const ConvRun *j = ctx;
  const Conv2dDims *d = j->d;
  const size_t M = conv_rows(d), N = (size_t)d->Cout, K = conv_depth(d);
  float *col = j->scratch + (size_t)part * j->block_rows * K;
  for (size_t blk = lo; blk < hi; blk++) {
    const size_t r0 = blk * j->block_rows;
    const size_t rows = M - r0 < j->block_rows ? M - r0 : j->block_rows;
    float *out = j->out + r0 * N;
    if (j->bias)
      for (size_t r = 0; r < rows; r++) memcpy(out + r * N, j->bias, N * sizeof(float));
    const float *a = j->inp + r0 * K;  // a 1x1 stride-1 conv reads inp as col
    if (!conv_is_pointwise(d)) {
      conv_im2col_rows(col, j->inp, d, r0, rows);
      a = col;
    }
    gemm_block(0, 0, rows, N, K, 1.0f, a, K, j->weight, N, j->bias ? 1.0f : j->beta, out, N);
  }
}

// out = (or +=, beta = 1) conv(inp, weight) [+ bias].
static void conv_run(float *out, const float *inp, const float *weight, const float *bias,
                     const Conv2dDims *d, float *scratch, float beta) {
  if (conv2d_winograd_applies(d)) {
    winograd_forward(out, inp, weight, bias, d, scratch, beta);
    return;
  }
  const size_t M = conv_rows(d), K = conv_depth(d), N = (size_t)d->Cout;
  ConvRun j = {out, inp, weight, bias, d, scratch, beta, conv_block_rows(d)};
  const size_t blocks = (M + j.block_rows - 1) / j.block_rows;
  // At most one part per block: part i then starts at block >= i, so slot i fits.
  const int parts = blocks < CONV_SLOTS ? (int)blocks : CONV_SLOTS;
  par_for_parts(blocks, 1, M * K + M * K * N / 32, parts, conv_run_blocks, &j);
}

void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    const Conv2dDims *d, float *scratch) {
  conv_run(out, inp, weight, bias, d, scratch, 0.0f);
}

// ---- backward ---------------------------------------------------------------------------

typedef struct {
  float *wt;            // (kh, kw, Cout, Cin)
  const float *w;       // (kh, kw, Cin, Cout)
  const Conv2dDims *d;
} FlipArgs;

// Taps [lo, hi) of wt: tap (ky, kx) = w's tap (kh-1-ky, kw-1-kx), transposed.
static void flip_range(void *ctx, size_t lo, size_t hi) {
  const FlipArgs *a = ctx;
  const size_t ci = (size_t)a->d->Cin, co = (size_t)a->d->Cout, taps = (size_t)a->d->kh * a->d->kw;
  for (size_t t = lo; t < hi; t++) {
    const float *src = a->w + (taps - 1 - t) * ci * co;
    float *dst = a->wt + t * ci * co;
    for (size_t i = 0; i < ci; i++)
      for (size_t o = 0; o < co; o++) dst[o * ci + i] = src[i * co + o];
  }
}

// dinp += the transposed conv of dout (stride 1): out pixel (oy, ox) took input pixel
// (oy + ky - pad_h, ...) through tap ky, so input pixel iy receives dout at
// iy - ky + pad_h = iy + ky' - (kh-1-pad_h) through tap ky' = kh-1-ky.
static void conv_dinp_transposed(float *dinp, const float *dout, const float *weight,
                                 const Conv2dDims *d, const Conv2dDims *t, float *scratch) {
  const size_t taps = (size_t)d->kh * d->kw, KN = conv_depth(d) * (size_t)d->Cout;
  FlipArgs f = {scratch, weight, d};
  par_for(taps, 1, KN, flip_range, &f);
  conv_run(dinp, dout, scratch, NULL, t, scratch + KN, 1.0f);
}

// dW (K,N) += (sum over chunks of dout^T . col)^T. Computing dW^T lets OpenBLAS pack the
// large col with its plain copy (sgemm_itcopy): for col^T . dout it needs the
// transposing one (sgemm_otcopy), ~3.5x slower per float and 12% of an fmnist step
// (perf, 1 thread); packing went from 21% to 16.5% of the step. The chunks' sum stays
// in dW^T (K*N floats of scratch) and is transposed into dW once.
static void conv_dweight(float *dweight, const float *dout, const float *inp, const Conv2dDims *d,
                         float *scratch) {
  if (conv2d_winograd_applies(d)) {
    winograd_dweight(dweight, dout, inp, d, scratch);
    return;
  }
  const size_t M = conv_rows(d), N = (size_t)d->Cout, K = conv_depth(d);
  const size_t chunk = conv_is_pointwise(d) ? M : conv_chunk_rows(d);
  float *dwt = scratch, *col = scratch + K * N;
  for (size_t r0 = 0; r0 < M; r0 += chunk) {
    const size_t rows = M - r0 < chunk ? M - r0 : chunk;
    const float *a = inp + r0 * K;  // a 1x1 stride-1 conv reads inp as col
    if (!conv_is_pointwise(d)) {
      conv_im2col(col, inp, d, r0, rows);
      a = col;
    }
    gemm_rowmajor(1, 0, N, K, rows, dout + r0 * N, a, r0 ? 1.0f : 0.0f, dwt);
  }
  transpose_accumulate(dweight, dwt, N, K);
}

void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, const Conv2dDims *d, float *scratch) {
  const size_t M = conv_rows(d), N = (size_t)d->Cout, K = conv_depth(d);
  colsum_accumulate(dbias, dout, M, (int)N);
  if (dweight) conv_dweight(dweight, dout, inp, d, scratch);
  if (!dinp) return;
  Conv2dDims t;
  if (conv_is_pointwise(d)) {
    gemm_rowmajor(0, 1, M, K, N, dout, weight, 1.0f, dinp);
  } else if (conv_transposed_dims(d, &t)) {
    conv_dinp_transposed(dinp, dout, weight, d, &t, scratch);
  } else {
    const size_t chunk = conv_chunk_rows(d);
    float *dcol = scratch + K * N;
    for (size_t r0 = 0; r0 < M; r0 += chunk) {
      size_t rows = M - r0 < chunk ? M - r0 : chunk;
      gemm_rowmajor(0, 1, rows, K, N, dout + r0 * N, weight, 0.0f, dcol);
      conv_col2im(dinp, dcol, d, r0, rows);
    }
  }
}
