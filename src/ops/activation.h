// Pointwise activations over n floats. GELU is the exact erf form (PyTorch default).
#ifndef VDMC_OPS_ACTIVATION_H
#define VDMC_OPS_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

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

// GELU in bf16 runs (docs/precision.md, "GELU's slope in 16 bits"): backward multiplies
// by the slope gelu'(x) rounded to bf16, which forward can keep as 16 bits instead of
// keeping x in 32. gelu_forward_slope writes gelu_forward's out and the rounded slope's
// bits; gelu_backward_rounded does dinp += dout * slope with the slope from those bits or
// rounded from x, the same values.
void gelu_forward_slope(float *out, uint16_t *slope, const float *inp, size_t n);
typedef struct {
  const float *inp;       // x, or NULL
  const uint16_t *slope;  // the bits gelu_forward_slope kept, or NULL
} GeluSlopeFrom;
void gelu_backward_rounded(float *dinp, const float *dout, GeluSlopeFrom from, size_t n);

#endif
