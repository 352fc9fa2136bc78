// bf16-operand products as "round the operands, then the fp32 op" (ops/bf16_products.h),
// the op's GEMMs in a bf16 region (ops/gemm_bf16.h: the AVX512-BF16 kernel where the CPU
// has it, which also rounds Winograd's transformed tiles; attention rounds its
// probabilities and their gradient itself in a region; docs/precision.md).
// The rounded copies are laid out [first operand | second operand] in bf->buf.
#include "ops/bf16_products.h"

#include "core/status.h"
#include "ops/attention.h"
#include "ops/bf16.h"
#include "ops/conv2d_winograd.h"
#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/linear.h"

// The next n floats of bf->buf at *at, which advances past them.
static float *take(const Bf16Operands *bf, float **at, size_t n) {
  float *dst = *at;
  // Bf16Operands is sized by the model from the same *_mixed_floats functions: running
  // past it is a bug in vdmc, not bad input.
  if ((size_t)(dst - bf->buf) + n > bf->floats) vdmc_internal_abort("bf16 operand buffer too small");
  *at = dst + n;
  return dst;
}

// Copies n floats of src rounded to bf16 into *at and advances it.
static const float *rounded(const Bf16Operands *bf, float **at, const float *src, size_t n) {
  float *dst = take(bf, at, n);
  round_to_bf16(dst, src, n);
  return dst;
}

// Whether what reads an operand in the region rounds it itself, so that a rounded copy
// would be a pass (and a buffer) that changes no bit:
// - a linear's or attention's operand, read only by GEMMs: on the kernel path, whose
//   packing rounds exactly as round_to_bf16 (denormals aside, which vdpbf16ps flushes
//   either way);
static int gemm_rounds(void) { return gemm_bf16_path() != GEMM_BF16_PORTABLE; }
// - a conv's activation (its input, or dout in backward) where the conv runs Winograd,
//   whose transforms round what they read in a region on every path. Winograd then also
//   runs dinp's transposed conv (conv2d.c: both need 3x3, stride 1, at least 16
//   channels each way), so nothing reads dout unrounded. Any other conv's activations
//   reach only GEMMs (as they are, or copied by im2col; dbias's column sums of dout
//   are taken before, from the unrounded dout), so on the kernel path it is a linear's
//   case.
static int conv_rounds(const Conv2dDims *d) { return conv2d_winograd_applies(d) || gemm_rounds(); }

// src as it is where its reader rounds it (reader_rounds), else rounded into *at.
static const float *operand(const Bf16Operands *bf, float **at, const float *src, size_t n,
                            int reader_rounds) {
  return reader_rounds ? src : rounded(bf, at, src, n);
}

// The saved input's bf16 values: as operand() gives float32 ones, or widened from the
// stored bits into *at (advanced), the same floats.
static const float *input_operand(const Bf16Operands *bf, float **at, MixedInput in, size_t n,
                                  int reader_rounds) {
  if (!in.bf16) return operand(bf, at, in.f32, n, reader_rounds);
  float *dst = take(bf, at, n);
  widen_bf16_threaded(dst, in.bf16, n);
  return dst;
}

// The saved input of an fp32 product: float32 values only.
static const float *fp32_input(MixedInput in) {
  if (in.bf16) vdmc_internal_abort("a bf16-stored activation in an fp32 product");
  return in.f32;
}

// The weight operand: as given when the caller rounded it already (weights_rounded),
// else rounded like the others.
static const float *weight_operand(const Bf16Operands *bf, float **at, const float *w, size_t n) {
  return bf->weights_rounded ? w : rounded(bf, at, w, n);
}

size_t linear_mixed_floats(int N, int Cin, int Cout) {
  // forward: inp, weight; backward: dout, weight, inp
  return (size_t)Cin * Cout + (size_t)N * Cin + (size_t)N * Cout;
}

size_t conv2d_mixed_floats(const Conv2dDims *d) {
  size_t in = (size_t)d->B * d->H * d->W * d->Cin;
  size_t out = (size_t)d->B * conv2d_out_h(d) * conv2d_out_w(d) * d->Cout;
  // Winograd: no copy of dout (conv_rounds); the input's room is for widening bits
  return (size_t)d->kh * d->kw * d->Cin * d->Cout + in + (conv2d_winograd_applies(d) ? 0 : out);
}

size_t attention_mixed_floats(int B, int T, int C) { return (size_t)B * T * 4 * (size_t)C; }

void linear_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, int N, int Cin, int Cout) {
  if (bf) {
    float *at = bf->buf;
    inp = operand(bf, &at, inp, (size_t)N * Cin, gemm_rounds());
    weight = weight_operand(bf, &at, weight, (size_t)Cin * Cout);
    gemm_bf16_region_begin();
  }
  linear_forward(out, inp, weight, bias, N, Cin, Cout);
  gemm_bf16_region_end();
}

void linear_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, MixedInput inp, const float *weight, int N,
                           int Cin, int Cout) {
  if (!bf) {
    linear_backward(dinp, dweight, dbias, dout, fp32_input(inp), weight, N, Cin, Cout);
    return;
  }
  linear_backward(NULL, NULL, dbias, dout, NULL, weight, N, Cin, Cout);
  if (!dinp && !dweight) return;
  float *at = bf->buf;
  const float *dout_r = operand(bf, &at, dout, (size_t)N * Cout, gemm_rounds());
  const float *w_r = dinp ? weight_operand(bf, &at, weight, (size_t)Cin * Cout) : NULL;
  // On the kernel an input kept as bits is dW's A operand as it is (gemm_strided_a16, the
  // product linear_backward makes: the bits widening would give, no pass, half the bytes)
  const int inp_bits = dweight && inp.bf16 && gemm_rounds();
  const float *inp_r = dweight && !inp_bits
                           ? input_operand(bf, &at, inp, (size_t)N * Cin, gemm_rounds())
                           : NULL;
  gemm_bf16_region_begin();
  linear_backward(dinp, inp_bits ? NULL : dweight, NULL, dout_r, inp_r, w_r, N, Cin, Cout);
  if (inp_bits)  // dW (Cin, Cout) += inp^T dout
    gemm_strided_a16(1, 0, (size_t)Cin, (size_t)Cout, (size_t)N, 1.0f, inp.bf16, (size_t)Cin,
                     dout_r, (size_t)Cout, 1.0f, dweight, (size_t)Cout);
  gemm_bf16_region_end();
}

void conv2d_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, const Conv2dDims *d,
                          float *scratch) {
  if (bf) {
    float *at = bf->buf;
    inp = operand(bf, &at, inp, (size_t)d->B * d->H * d->W * d->Cin, conv_rounds(d));
    weight = weight_operand(bf, &at, weight, (size_t)d->kh * d->kw * d->Cin * d->Cout);
    gemm_bf16_region_begin();
  }
  conv2d_forward(out, inp, weight, bias, d, scratch);
  gemm_bf16_region_end();
}

void conv2d_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, MixedInput inp, const float *weight,
                           const Conv2dDims *d, float *scratch) {
  if (!bf) {
    conv2d_backward(dinp, dweight, dbias, dout, fp32_input(inp), weight, d, scratch);
    return;
  }
  conv2d_backward(NULL, NULL, dbias, dout, NULL, weight, d, scratch);
  if (!dinp && !dweight) return;
  float *at = bf->buf;
  size_t nout = (size_t)d->B * conv2d_out_h(d) * conv2d_out_w(d) * d->Cout;
  const float *dout_r = operand(bf, &at, dout, nout, conv_rounds(d));
  const float *w_r =
      dinp ? weight_operand(bf, &at, weight, (size_t)d->kh * d->kw * d->Cin * d->Cout) : NULL;
  const float *inp_r = dweight ? input_operand(bf, &at, inp, (size_t)d->B * d->H * d->W * d->Cin,
                                               conv_rounds(d))
                              : NULL;
  gemm_bf16_region_begin();
  conv2d_backward(dinp, dweight, NULL, dout_r, inp_r, w_r, d, scratch);
  gemm_bf16_region_end();
}

void attention_forward_mixed(const Bf16Operands *bf, float *out, AttnSavedProbs keep,
                             const float *qkv, int B, int T, int C, int NH, float *scratch) {
  float *at = bf ? bf->buf : NULL;
  // bf16 bits hold P exactly only where it is rounded as it is formed: in bf16 products
  if (!bf && keep.bf16) vdmc_internal_abort("attention's P kept as bf16 bits in an fp32 product");
  if (bf) {
    qkv = operand(bf, &at, qkv, (size_t)B * T * 3 * C, gemm_rounds());
    gemm_bf16_region_begin();
  }
  attention_forward(out, keep, qkv, B, T, C, NH, scratch);
  gemm_bf16_region_end();
}

void attention_backward_mixed(const Bf16Operands *bf, float *dqkv, const float *dout,
                              MixedInput qkv, AttnSavedProbs saved, int B, int T, int C,
                              int NH, float *scratch) {
  if (!dqkv) return;  // its only output
  if (!bf) {
    if (saved.bf16) vdmc_internal_abort("attention's P stored as bf16 bits in an fp32 product");
    attention_backward(dqkv, dout, fp32_input(qkv), saved, B, T, C, NH, scratch);
    return;
  }
  float *at = bf->buf;
  const float *qkv_r = input_operand(bf, &at, qkv, (size_t)B * T * 3 * C, gemm_rounds());
  dout = operand(bf, &at, dout, (size_t)B * T * C, gemm_rounds());
  gemm_bf16_region_begin();
  attention_backward(dqkv, dout, qkv_r, saved, B, T, C, NH, scratch);
  gemm_bf16_region_end();
}
