// 2-D convolution on NHWC tensors as GEMMs (see docs/ops.md).
// Legend: B batch, H/W input size, Ho/Wo output size, Cin/Cout channels,
// M = B*Ho*Wo output pixels (GEMM rows), K = k*k*Cin (GEMM depth), N = Cout.
//
// The weight (k,k,Cin,Cout) is already the row-major (K, N) GEMM operand, and an
// im2col row of an output pixel is its k*k input taps in (ky, kx, ci) order, so
//   forward   out  (M,N)  = col (M,K) . W (K,N)  [+ bias]
//   backward  dW   (K,N) += col^T . dout
//             dcol (M,K)  = dout . W^T, then col2im adds dcol into dinp.
// Rows are processed in chunks of conv_chunk_rows() so the col buffer (the only
// scratch) stays bounded. A 1x1 stride-1 conv needs no col buffer: col == inp.
#include "ops/conv2d.h"

#include <string.h>

#include "ops/gemm.h"

// Upper bound on the col buffer: 1M floats (4 MB), i.e. chunks of >= 455 rows for
// K <= 2304. Chunk sizes from 256K to 4M floats measured the same within noise
// (profiling/bench_ops.c, docs/ops.md).
#define CONV_SCRATCH_TARGET ((size_t)1 << 20)

int conv2d_out_h(const Conv2dDims *d) { return (d->H + 2 * (d->k / 2) - d->k) / d->stride + 1; }
int conv2d_out_w(const Conv2dDims *d) { return (d->W + 2 * (d->k / 2) - d->k) / d->stride + 1; }

static size_t conv_rows(const Conv2dDims *d) {
  return (size_t)d->B * (size_t)conv2d_out_h(d) * (size_t)conv2d_out_w(d);
}

static size_t conv_depth(const Conv2dDims *d) { return (size_t)d->k * (size_t)d->k * (size_t)d->Cin; }

static int conv_is_pointwise(const Conv2dDims *d) { return d->k == 1 && d->stride == 1; }

static size_t conv_chunk_rows(const Conv2dDims *d) {
  size_t m = conv_rows(d), rows = CONV_SCRATCH_TARGET / conv_depth(d);
  if (rows < 1) rows = 1;
  return rows < m ? rows : m;
}

size_t conv2d_scratch_floats(const Conv2dDims *d) {
  return conv_is_pointwise(d) ? 0 : conv_chunk_rows(d) * conv_depth(d);
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
  const int k = d->k, p = k / 2;
  const int iy = px.oy * d->stride + ky - p, ix0 = px.ox * d->stride - p;
  *kx0 = ix0 < 0 ? -ix0 : 0;
  *kx1 = ix0 + k > d->W ? d->W - ix0 : k;
  if (iy < 0 || iy >= d->H || *kx1 <= *kx0) return 0;
  *img_off = ((px.b * (size_t)d->H + (size_t)iy) * (size_t)d->W + (size_t)(ix0 + *kx0)) *
             (size_t)d->Cin;
  return 1;
}

// col rows [0, rows) <- the taps of output rows [r0, r0+rows); zeros outside the image.
static void conv_im2col(float *col /* (rows, K) */, const float *inp /* (B,H,W,Cin) */,
                        const Conv2dDims *d, size_t r0, size_t rows) {
  const size_t C = (size_t)d->Cin, kc = (size_t)d->k * C;
  ConvPixel px = conv_pixel_at(d, r0);
  for (size_t r = 0; r < rows; r++, conv_pixel_next(d, &px)) {
    for (int ky = 0; ky < d->k; ky++) {
      float *seg = col + r * conv_depth(d) + (size_t)ky * kc;
      size_t off;
      int kx0, kx1;
      if (!conv_tap_run(d, px, ky, &off, &kx0, &kx1)) {
        memset(seg, 0, kc * sizeof(float));
        continue;
      }
      memset(seg, 0, (size_t)kx0 * C * sizeof(float));
      memcpy(seg + (size_t)kx0 * C, inp + off, (size_t)(kx1 - kx0) * C * sizeof(float));
      memset(seg + (size_t)kx1 * C, 0, (size_t)(d->k - kx1) * C * sizeof(float));
    }
  }
}

// dinp taps of output rows [r0, r0+rows) += dcol rows (taps outside the image dropped).
static void conv_col2im(float *dinp /* (B,H,W,Cin) */, const float *dcol /* (rows, K) */,
                        const Conv2dDims *d, size_t r0, size_t rows) {
  const size_t C = (size_t)d->Cin, kc = (size_t)d->k * C;
  ConvPixel px = conv_pixel_at(d, r0);
  for (size_t r = 0; r < rows; r++, conv_pixel_next(d, &px)) {
    for (int ky = 0; ky < d->k; ky++) {
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

void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    const Conv2dDims *d, float *scratch) {
  const size_t M = conv_rows(d), N = (size_t)d->Cout, K = conv_depth(d);
  if (bias)
    for (size_t r = 0; r < M; r++) memcpy(out + r * N, bias, N * sizeof(float));
  const float beta = bias ? 1.0f : 0.0f;
  if (conv_is_pointwise(d)) {
    gemm_rowmajor(0, 0, M, N, K, inp, weight, beta, out);
    return;
  }
  const size_t chunk = conv_chunk_rows(d);
  for (size_t r0 = 0; r0 < M; r0 += chunk) {
    size_t rows = M - r0 < chunk ? M - r0 : chunk;
    conv_im2col(scratch, inp, d, r0, rows);
    gemm_rowmajor(0, 0, rows, N, K, scratch, weight, beta, out + r0 * N);
  }
}

void conv2d_backward(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                     const float *weight, const Conv2dDims *d, float *scratch) {
  const size_t M = conv_rows(d), N = (size_t)d->Cout, K = conv_depth(d);
  if (dbias)
    for (size_t r = 0; r < M; r++)
      for (size_t c = 0; c < N; c++) dbias[c] += dout[r * N + c];
  if (conv_is_pointwise(d)) {
    if (dweight) gemm_rowmajor(1, 0, K, N, M, inp, dout, 1.0f, dweight);
    if (dinp) gemm_rowmajor(0, 1, M, K, N, dout, weight, 1.0f, dinp);
    return;
  }
  const size_t chunk = conv_chunk_rows(d);
  for (size_t r0 = 0; r0 < M && (dweight || dinp); r0 += chunk) {
    size_t rows = M - r0 < chunk ? M - r0 : chunk;
    const float *dchunk = dout + r0 * N;
    if (dweight) {
      conv_im2col(scratch, inp, d, r0, rows);
      gemm_rowmajor(1, 0, K, N, rows, scratch, dchunk, 1.0f, dweight);
    }
    if (dinp) {
      gemm_rowmajor(0, 1, rows, K, N, dchunk, weight, 0.0f, scratch);
      conv_col2im(dinp, scratch, d, r0, rows);
    }
  }
}
