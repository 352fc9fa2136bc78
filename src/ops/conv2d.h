// 2-D convolution on NHWC tensors. Kernel k in {1, 3}, stride in {1, 2},
// zero padding k/2, so Ho = (H + 2*(k/2) - k) / stride + 1.
#ifndef VDMC_OPS_CONV2D_H
#define VDMC_OPS_CONV2D_H

#include <stddef.h>

typedef struct {
  int B, H, W, Cin, Cout;  // input (B, H, W, Cin)
  int k, stride;           // kernel size and stride
} Conv2dDims;

int conv2d_out_h(const Conv2dDims *d);
int conv2d_out_w(const Conv2dDims *d);
// Floats of scratch that forward and backward need (may be 0).
size_t conv2d_scratch_floats(const Conv2dDims *d);

// out: (B, Ho, Wo, Cout) is overwritten.
void conv2d_forward(float *out, const float *inp /* (B,H,W,Cin) */,
                    const float *weight /* (k,k,Cin,Cout) */, const float *bias /* (Cout) or NULL */,
                    const Conv2dDims *d, float *scratch);
// Accumulates into dinp (B,H,W,Cin), dweight (k,k,Cin,Cout), dbias (Cout); any may be NULL.
void conv2d_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout /* (B,Ho,Wo,Cout) */, const float *inp,
                     const float *weight, const Conv2dDims *d, float *scratch);

#endif
