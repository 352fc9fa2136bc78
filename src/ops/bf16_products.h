// The product ops (linear, conv2d, attention) with bf16 operands and fp32 accumulation
// (docs/precision.md). Each `*_mixed` call takes a Bf16Operands: NULL runs the fp32 op
// unchanged; otherwise every operand the op receives (activation, weight, upstream
// gradient) is rounded to bf16 (ops/bf16.h) into bf->buf and the fp32 op runs on the
// rounded copies, in a bf16 region (ops/gemm_bf16.h); where the op rounds an operand
// itself in a region (a Winograd conv's input and dout, a linear's or attention's
// operand on the kernel, whose packing rounds) no copy is made, the same bits. What the op computes inside stays
// fp32 (the Winograd transforms, so the transformed tiles are not bf16 values; every sum)
// except attention's probabilities and their gradient, operands of its products, which
// it rounds to bf16 in the region (ops/attention.h). Bias gradients are column sums of the fp32 upstream gradient (a
// sum, not a product). So a *_mixed call gives exactly the bits of the fp32 op on
// round_to_bf16'd operands, dbias being the fp32 op's on the unrounded dout.
// Legend: as in linear.h, conv2d.h, attention.h.
#ifndef VDMC_OPS_BF16_PRODUCTS_H
#define VDMC_OPS_BF16_PRODUCTS_H

#include <stddef.h>
#include <stdint.h>

#include "ops/attention.h"
#include "ops/bf16.h"
#include "ops/conv2d.h"

// Where the rounded operands go: one buffer shared by all ops of a model (they run one
// at a time), at least the largest *_mixed_floats of them.
// weights_rounded: the weight operands the caller passes are bf16 values already (a
// model's copy of its weights, rounded once per optimizer step: models/unet.h), so the
// ops use them as given; rounding a bf16 value again would change no bit, only cost a
// pass. 0: every call rounds its weight like its other operands.
typedef struct {
  float *buf;     // (floats)
  size_t floats;
  int weights_rounded;
} Bf16Operands;

// The saved input a backward product multiplies (the activation of the weight gradient,
// attention's qkv) is a MixedInput (ops/bf16.h): its float32 values, or the bf16 bits a
// bf16 run stored it in (models/saved_operand.h), which the op widens into bf->buf where
// it would round f32. Rounding a bf16 value changes no bit, so both give the same
// product. bf16 bits need a Bf16Operands: an fp32 product of them is a bug in vdmc
// (abort).

// Floats of Bf16Operands.buf a call needs (forward and backward).
size_t linear_mixed_floats(int N, int Cin, int Cout);
size_t conv2d_mixed_floats(const Conv2dDims *d);
size_t attention_mixed_floats(int B, int T, int C);

void linear_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, int N, int Cin, int Cout);
void linear_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, MixedInput inp, const float *weight, int N,
                           int Cin, int Cout);
void conv2d_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, const Conv2dDims *d,
                          float *scratch);
void conv2d_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, MixedInput inp, const float *weight,
                           const Conv2dDims *d, float *scratch);
// q, k, v and dout rounded; the probabilities (the softmax output: kept as float32 or,
// with bf, as bf16 bits, or recomputed in backward from the same rounded q and k) and
// their gradient rounded as they are formed (ops/attention.h).
void attention_forward_mixed(const Bf16Operands *bf, float *out, AttnSavedProbs keep,
                             const float *qkv, int B, int T, int C, int NH, float *scratch);
void attention_backward_mixed(const Bf16Operands *bf, float *dqkv, const float *dout,
                              MixedInput qkv, AttnSavedProbs saved, int B, int T, int C,
                              int NH, float *scratch);

#endif
