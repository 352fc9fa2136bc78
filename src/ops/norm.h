// GroupNorm over NHWC activations and LayerNorm over the last dimension.
// Both save mean and reciprocal std for backward. eps is NORM_EPS (1e-5, as PyTorch).
#ifndef VDMC_OPS_NORM_H
#define VDMC_OPS_NORM_H

#define NORM_EPS 1e-5f

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

#endif
