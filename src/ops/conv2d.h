// 2-D convolution on NHWC tensors: a kh x kw kernel, one stride for both axes, zero
// padding pad_h rows above and below and pad_w columns left and right, so
// Ho = (H + 2*pad_h - kh) / stride + 1 (likewise Wo). The U-Net uses square kernels
// with "same" padding (conv2d_dims); the Inception-v3 feature network also uses
// 1x7 / 7x1 / 1x3 / 3x1 / 5x5 kernels and unpadded ("valid") ones.
#ifndef VDMC_OPS_CONV2D_H
#define VDMC_OPS_CONV2D_H

#include <stddef.h>

// How the products are formed: AUTO takes Winograd F(2x2,3x3) where it applies
// (3x3 stride 1, enough channels: ops/conv2d_winograd.h) and im2col + GEMM elsewhere;
// IM2COL forces the latter (the baseline bench_ops compares against, and tests).
typedef enum { CONV_ALGO_AUTO = 0, CONV_ALGO_IM2COL } ConvAlgo;

typedef struct {
  int B, H, W, Cin, Cout;  // input (B, H, W, Cin)
  int kh, kw, stride;      // kernel rows, columns and stride
  int pad_h, pad_w;        // zero padding on each side
  ConvAlgo algo;           // 0 (AUTO) unless a caller wants the im2col path
} Conv2dDims;

// A k x k kernel with "same" padding k/2 (k odd): what the U-Net's convs use.
Conv2dDims conv2d_dims(int B, int H, int W, int Cin, int Cout, int k, int stride);

int conv2d_out_h(const Conv2dDims *d);
int conv2d_out_w(const Conv2dDims *d);
// Floats of scratch that forward and backward need (may be 0).
size_t conv2d_scratch_floats(const Conv2dDims *d);

// out: (B, Ho, Wo, Cout) is overwritten.
void conv2d_forward(float *out, const float *inp /* (B,H,W,Cin) */,
                    const float *weight /* (kh,kw,Cin,Cout) */, const float *bias /* (Cout) or NULL */,
                    const Conv2dDims *d, float *scratch);
// Accumulates into dinp (B,H,W,Cin), dweight (kh,kw,Cin,Cout), dbias (Cout); any may be NULL.
void conv2d_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout /* (B,Ho,Wo,Cout) */, const float *inp,
                     const float *weight, const Conv2dDims *d, float *scratch);

#endif
