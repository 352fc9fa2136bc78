// bf16-operand products as "round the operands, then the fp32 op" (ops/bf16_products.h).
// The rounded copies are laid out [first operand | second operand] in bf->buf.
#include "ops/bf16_products.h"

#include <stdio.h>
#include <stdlib.h>

#include "ops/attention.h"
#include "ops/bf16.h"
#include "ops/linear.h"

// Copies n floats of src rounded to bf16 into *at and advances it.
static const float *rounded(const Bf16Operands *bf, float **at, const float *src, size_t n) {
  float *dst = *at;
  // Bf16Operands is sized by the model from the same *_mixed_floats functions: running
  // past it is a bug in vdmc, not bad input.
  if ((size_t)(dst - bf->buf) + n > bf->floats) {
    fprintf(stderr, "vdmc: internal error: bf16 operand buffer too small (%zu floats)\n",
            bf->floats);
    abort();
  }
  round_to_bf16(dst, src, n);
  *at = dst + n;
  return dst;
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
  return (size_t)d->kh * d->kw * d->Cin * d->Cout + in + out;
}

size_t attention_mixed_floats(int B, int T, int C) { return (size_t)B * T * 4 * (size_t)C; }

void linear_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, int N, int Cin, int Cout) {
  if (bf) {
    float *at = bf->buf;
    inp = rounded(bf, &at, inp, (size_t)N * Cin);
    weight = weight_operand(bf, &at, weight, (size_t)Cin * Cout);
  }
  linear_forward(out, inp, weight, bias, N, Cin, Cout);
}

void linear_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight, int N,
                           int Cin, int Cout) {
  if (!bf) {
    linear_backward(dinp, dweight, dbias, dout, inp, weight, N, Cin, Cout);
    return;
  }
  linear_backward(NULL, NULL, dbias, dout, inp, weight, N, Cin, Cout);
  if (!dinp && !dweight) return;
  float *at = bf->buf;
  const float *dout_r = rounded(bf, &at, dout, (size_t)N * Cout);
  const float *w_r = dinp ? weight_operand(bf, &at, weight, (size_t)Cin * Cout) : NULL;
  const float *inp_r = dweight ? rounded(bf, &at, inp, (size_t)N * Cin) : NULL;
  linear_backward(dinp, dweight, NULL, dout_r, inp_r, w_r, N, Cin, Cout);
}

void conv2d_forward_mixed(const Bf16Operands *bf, float *out, const float *inp,
                          const float *weight, const float *bias, const Conv2dDims *d,
                          float *scratch) {
  if (bf) {
    float *at = bf->buf;
    inp = rounded(bf, &at, inp, (size_t)d->B * d->H * d->W * d->Cin);
    weight = weight_operand(bf, &at, weight, (size_t)d->kh * d->kw * d->Cin * d->Cout);
  }
  conv2d_forward(out, inp, weight, bias, d, scratch);
}

void conv2d_backward_mixed(const Bf16Operands *bf, float *dinp, float *dweight, float *dbias,
                           const float *dout, const float *inp, const float *weight,
                           const Conv2dDims *d, float *scratch) {
  if (!bf) {
    conv2d_backward(dinp, dweight, dbias, dout, inp, weight, d, scratch);
    return;
  }
  conv2d_backward(NULL, NULL, dbias, dout, inp, weight, d, scratch);
  if (!dinp && !dweight) return;
  float *at = bf->buf;
  size_t nout = (size_t)d->B * conv2d_out_h(d) * conv2d_out_w(d) * d->Cout;
  const float *dout_r = rounded(bf, &at, dout, nout);
  const float *w_r =
      dinp ? weight_operand(bf, &at, weight, (size_t)d->kh * d->kw * d->Cin * d->Cout) : NULL;
  const float *inp_r = dweight ? rounded(bf, &at, inp, (size_t)d->B * d->H * d->W * d->Cin)
                               : NULL;
  conv2d_backward(dinp, dweight, NULL, dout_r, inp_r, w_r, d, scratch);
}

void attention_forward_mixed(const Bf16Operands *bf, float *out, float *probs, const float *qkv,
                             int B, int T, int C, int NH, float *scratch) {
  float *at = bf ? bf->buf : NULL;
  if (bf) qkv = rounded(bf, &at, qkv, (size_t)B * T * 3 * C);
  attention_forward(out, probs, qkv, B, T, C, NH, scratch);
}

void attention_backward_mixed(const Bf16Operands *bf, float *dqkv, const float *dout,
                              const float *qkv, const float *probs, int B, int T, int C, int NH,
                              float *scratch) {
  if (bf && dqkv) {
    float *at = bf->buf;
    qkv = rounded(bf, &at, qkv, (size_t)B * T * 3 * C);
    dout = rounded(bf, &at, dout, (size_t)B * T * C);
  }
  attention_backward(dqkv, dout, qkv, probs, B, T, C, NH, scratch);
}
