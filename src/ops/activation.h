// Pointwise activations over n floats. GELU is the exact erf form (PyTorch default).
#ifndef VDMC_OPS_ACTIVATION_H
#define VDMC_OPS_ACTIVATION_H

#include <stddef.h>

void silu_forward(float *out, const float *inp, size_t n);
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n);
// SiLU after the ADM scale-shift, in one pass over memory (tensor_ops.h scale_shift_*):
// out (B,HW,C) = silu(x * (1 + ss[b, 0:C]) + ss[b, C:2C]). Backward recomputes the
// pre-activation from x and ss (nothing saved): dx += dh * (1 + scale), dss[b] +=
// (sum_p dh * x, sum_p dh) with dh = dout * silu'(pre). Bit-identical to
// scale_shift_forward then silu_forward, and to silu_backward then scale_shift_backward.
void scale_shift_silu_forward(float *out, const float *x, const float *ss, int B, int HW, int C);
void scale_shift_silu_backward(float *dx, float *dss, const float *dout, const float *x,
                               const float *ss, int B, int HW, int C);
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);

#endif
