// GroupNorm over NHWC activations and LayerNorm over the last dimension.
// Both save mean and reciprocal std for backward. eps is NORM_EPS (1e-5, as PyTorch).
#ifndef VDMC_OPS_NORM_H
#define VDMC_OPS_NORM_H

#define NORM_EPS 1e-5f

#include <stdint.h>

// Statistics per (b, g) over HW positions x C/G channels; weight/bias per channel.
void groupnorm_forward(float *out /* (B,HW,C) */, float *mean /* (B,G) */, float *rstd /* (B,G) */,
                       const float *inp /* (B,HW,C) */, const float *weight /* (C) */,
                       const float *bias /* (C) */, int B, int HW, int C, int G);
void groupnorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int B, int HW, int C, int G);
// out = groupnorm_forward's out, from the statistics it saved for this inp: the same
// arithmetic on the same floats, so the same bits. A model recomputes a norm's output in
// backward with it instead of saving it (docs/precision.md, "Activations saved for
// backward").
void groupnorm_from_stats(float *out /* (B,HW,C) */, const float *inp /* (B,HW,C) */,
                          const float *weight /* (C) */, const float *bias /* (C) */,
                          const float *mean /* (B,G) */, const float *rstd /* (B,G) */, int B,
                          int HW, int C, int G);
// The same two with SiLU applied to each output value before it is stored: out =
// silu(GroupNorm(inp)), the bits of the call above then ops/activation.h silu_forward
// in place, in one pass over the tensor instead of two.
void groupnorm_silu_forward(float *out, float *mean, float *rstd, const float *inp,
                            const float *weight, const float *bias, int B, int HW, int C, int G);
void groupnorm_silu_from_stats(float *out, const float *inp, const float *weight,
                               const float *bias, const float *mean, const float *rstd, int B,
                               int HW, int C, int G);

// ---- a norm's normalized input in bf16 (bf16 steps, docs/precision.md) -----------------
// x-hat = (x - mean) * rstd in float, from forward's statistics, rounded to bf16: what a
// bf16 step's backward of a norm reads in place of x where the model keeps x-hat's bits
// instead of x. Given as those bits (bits) or formed from x and the statistics (x): the
// same values.
typedef struct {
  const float *x;        // (B,HW,C) (LayerNorm: (N,C)) or NULL
  const uint16_t *bits;  // the same shape, or NULL; exactly one is set
} RoundedNormal;

// bits = x-hat of inp rounded to bf16, from the statistics groupnorm_forward saved.
void groupnorm_normalized_bits(uint16_t *bits /* (B,HW,C) */, const float *inp /* (B,HW,C) */,
                               const float *mean, const float *rstd, int B, int HW, int C,
                               int G);
// out = x-hat * weight + bias: the output groupnorm_from_stats gives, from x-hat rounded.
void groupnorm_from_rounded_normal(float *out, RoundedNormal xn, const float *weight,
                                   const float *bias, const float *mean, const float *rstd,
                                   int B, int HW, int C, int G);
// groupnorm_backward from x-hat rounded (accumulates as it does; dbias is the same).
void groupnorm_backward_rounded_normal(float *dinp, float *dweight, float *dbias,
                                       const float *dout, RoundedNormal xn,
                                       const float *weight, const float *mean, const float *rstd,
                                       int B, int HW, int C, int G);

// Statistics per row over C. weight and bias may be NULL (no affine: 1 and 0, as
// nn.LayerNorm(elementwise_affine=False)); backward then takes weight = NULL too.
void layernorm_forward(float *out /* (N,C) */, float *mean /* (N) */, float *rstd /* (N) */,
                       const float *inp /* (N,C) */, const float *weight /* (C) */,
                       const float *bias /* (C) */, int N, int C);
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C);
// out = layernorm_forward's out from its saved statistics, bit for bit (as groupnorm_from_stats).
void layernorm_from_stats(float *out /* (N,C) */, const float *inp /* (N,C) */,
                          const float *weight /* (C) */, const float *bias /* (C) */,
                          const float *mean /* (N) */, const float *rstd /* (N) */, int N, int C);

// LayerNorm's normalized input in bf16 (bf16 steps): as GroupNorm's above, with a row
// for a group (xn's tensors are (N,C)).
void layernorm_normalized_bits(uint16_t *bits /* (N,C) */, const float *inp /* (N,C) */,
                               const float *mean, const float *rstd, int N, int C);
void layernorm_from_rounded_normal(float *out, RoundedNormal xn, const float *weight,
                                   const float *bias, const float *mean, const float *rstd, int N,
                                   int C);
void layernorm_backward_rounded_normal(float *dinp, float *dweight, float *dbias,
                                       const float *dout, RoundedNormal xn, const float *weight,
                                       const float *mean, const float *rstd, int N, int C);

#endif
