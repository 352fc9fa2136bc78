// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 output tile is
// A^T [ (G g G^T) (.) (B^T d B) ] A with d the 4x4 input tile, so a tile costs 16
// multiplies per (Cin, Cout) pair instead of 36, and the products of one of the 16
// transformed positions are a GEMM over tiles: (tiles, Cin) . (Cin, Cout). Backward
// is the exact adjoint of that forward (docs/ops.md "Winograd"). conv2d.c picks this
// path for the shapes conv2d_winograd_applies() accepts; callers use conv2d.h only.
#ifndef VDMC_OPS_CONV2D_WINOGRAD_H
#define VDMC_OPS_CONV2D_WINOGRAD_H

#include <stddef.h>

#include "ops/conv2d.h"

// 3x3 kernel, stride 1, padding 0..2 on each axis, both channel counts >= the minimum
// where the GEMMs over Cin / Cout beat im2col (bench_ops), and d->algo not IM2COL.
int conv2d_winograd_applies(const Conv2dDims *d);
// Floats of scratch for winograd_forward and winograd_dweight.
size_t winograd_scratch_floats(const Conv2dDims *d);
// out (B,Ho,Wo,Cout) = conv(inp, weight) + bias (bias may be NULL); beta = 1 adds the
// result to out instead (ignored with a bias).
void winograd_forward(float *out, const float *inp /* (B,H,W,Cin) */,
                      const float *weight /* (3,3,Cin,Cout) */, const float *bias,
                      const Conv2dDims *d, float *scratch, float beta);
// dweight (3,3,Cin,Cout) += the weight gradient for dout (B,Ho,Wo,Cout).
void winograd_dweight(float *dweight, const float *dout, const float *inp, const Conv2dDims *d,
                      float *scratch);

#endif
