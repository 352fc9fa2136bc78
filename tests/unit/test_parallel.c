// The worker pool (ops/parallel.h) and every threaded kernel: par_for covers [0, n)
// exactly once with aligned part boundaries, and each kernel gives bit-identical
// results on 1, 2 and 3 threads (ctest pins OPENBLAS_NUM_THREADS=1, so this is the test
// that runs the pool; the count is set with par_set_threads). GEMMs (ops/gemm.h) are cut
// into blocks by their shape only, so they are covered too: sgemm results depend on how
// a product is cut, not on which thread multiplies a block.
// The 1-thread results are checked against PyTorch and finite differences by the ops'
// own tests. LayerNorm, Adam and the EMA update run on the pool too (the optimizer's
// passes over every parameter would otherwise stay on one thread per rank).
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/param_table.h"
#include "core/status.h"
#include "ops/activation.h"
#include "ops/attention.h"
#include "ops/conv2d.h"
#include "ops/dropout.h"
#include "ops/gemm.h"
#include "ops/norm.h"
#include "ops/parallel.h"
#include "ops/resample.h"
#include "ops/tensor_ops.h"
#include "optim/adam.h"
#include "optim/ema.h"

// ---- par_for coverage --------------------------------------------------------------------
typedef struct {
  int *hits;
  size_t align, bad_align;
} Cover;

static void cover_range(void *ctx, size_t lo, size_t hi) {
  Cover *c = ctx;
  if (lo % c->align) c->bad_align++;  // written by one part only: lo of part 0 is 0
  for (size_t i = lo; i < hi; i++) c->hits[i]++;
}

static void test_cover(void) {
  const size_t ns[] = {0, 1, 15, 16, 17, 1000, 100003};
  const size_t aligns[] = {1, 16};
  for (int t = 1; t <= 3; t++) {
    par_set_threads(t);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
      for (size_t a = 0; a < 2; a++) {
        Cover c = {calloc(ns[i] + 1, sizeof(int)), aligns[a], 0};
        par_for(ns[i], c.align, PAR_MIN_WORK, cover_range, &c);
        size_t wrong = 0;
        for (size_t j = 0; j < ns[i]; j++) wrong += c.hits[j] != 1;
        CHECK(wrong == 0 && c.bad_align == 0,
              "par_for n=%zu align=%zu threads=%d: %zu elements not hit exactly once, "
              "%zu misaligned parts", ns[i], c.align, t, wrong, c.bad_align);
        free(c.hits);
      }
  }
  par_set_threads(2);
  float *z = malloc(100005 * sizeof *z);  // zero_floats clears [1, 100004) and no more
  for (size_t i = 0; i < 100005; i++) z[i] = 1.0f;
  zero_floats(z + 1, 100003);
  size_t bad = (z[0] != 1.0f) + (z[100004] != 1.0f);
  for (size_t i = 1; i < 100004; i++) bad += z[i] != 0.0f;
  CHECK(bad == 0, "zero_floats on 2 threads: %zu floats wrong", bad);
  float *src = malloc(100005 * sizeof *src);  // copy_floats copies [1, 100004) and no more
  for (size_t i = 0; i < 100005; i++) src[i] = (float)i, z[i] = -1.0f;
  copy_floats(z + 1, src + 1, 100003);
  bad = (z[0] != -1.0f) + (z[100004] != -1.0f);
  for (size_t i = 1; i < 100004; i++) bad += z[i] != (float)i;
  CHECK(bad == 0, "copy_floats on 2 threads: %zu floats wrong", bad);
  free(z), free(src);
  CHECK(par_threads(PAR_MIN_WORK) == 2 && par_threads(PAR_MIN_WORK - 1) == 1,
        "par_threads: the set count (2) above PAR_MIN_WORK, 1 below");
  par_set_threads(0);
  CHECK(par_max_threads() == 1, "default thread count %d, want OPENBLAS_NUM_THREADS=1",
        par_max_threads());
  CHECK(openblas_get_num_threads() == 1, "OpenBLAS pinned to 1 thread, has %d",
        openblas_get_num_threads());
}

// ---- kernels: 1 thread vs 2 and 3 ----------------------------------------------------------
enum { B = 3, H = 16, W = 16, C = 64, G = 32 };
#define NX ((size_t)B * H * W * C)

typedef void (*KernelFn)(float *out /* (NOUT) */, const float *x /* (NX) */,
                         const float *y /* (NX) */);
enum { NOUT = 4 * (int)NX };

static void k_silu(float *o, const float *x, const float *y) {
  silu_forward(o, x, NX);
  silu_backward(o + NX, y, x, NX);
}

static void k_dropout(float *o, const float *x, const float *y) {
  DropoutKey key = {.seed = 7, .step = 3, .first_example = 11, .site = 2, .p = 0.3f};
  dropout_forward(o, x, B, (size_t)H * W * C, &key);
  memcpy(o + NX, y, NX * sizeof *o);
  dropout_backward(o + NX, x, B, (size_t)H * W * C, &key);
  key.p = 0;
  dropout_forward(o + 2 * NX, y, B, (size_t)H * W * C, &key);
}

static void k_tensor(float *o, const float *x, const float *y) {
  add_forward(o, x, y, NX);
  memcpy(o + NX, y, NX * sizeof *o);
  accumulate(o + NX, x, NX);
  size_t P = (size_t)B * H * W;  // concat of (P, 40) and (P, 24), then split it back
  concat_channels_forward(o + 2 * NX, x, y, P, 40, 24);
  memcpy(o + 3 * NX, x, NX * sizeof *o);
  concat_channels_backward(o + 3 * NX, o + 3 * NX + P * 40, y, P, 40, 24);
  colsum_accumulate(o + 3 * NX, y, P, C);  // column sums of 64 columns over P rows
  transpose_accumulate(o + 3 * NX, y, P, C);  // (C, P) += (P, C)^T
}

static void k_scale_shift(float *o, const float *x, const float *y) {
  const float *ss = y;  // (B, 2C) from the first floats of y
  scale_shift_forward(o, x, ss, B, H * W, C);
  memcpy(o + NX, x, NX * sizeof *o);
  memset(o + 2 * NX, 0, (size_t)B * 2 * C * sizeof *o);
  scale_shift_backward(o + NX, o + 2 * NX, y, x, ss, B, H * W, C);
}

static void k_groupnorm(float *o, const float *x, const float *y) {
  const float *w = y + 1000, *bias = y + 2000;
  float *mean = o + 2 * NX, *rstd = mean + B * G, *dw = rstd + B * G, *db = dw + C;
  groupnorm_forward(o, mean, rstd, x, w, bias, B, H * W, C, G);
  memcpy(o + NX, x, NX * sizeof *o);
  memset(dw, 0, 2 * C * sizeof *o);
  groupnorm_backward(o + NX, dw, db, y, x, w, mean, rstd, B, H * W, C, G);
}

// LayerNorm rows of C = 64 (N = B*H*W rows), with weight and bias: forward, the output
// again from the saved statistics, and backward with the parameters' gradients.
static void k_layernorm(float *o, const float *x, const float *y) {
  const int N = (int)(NX / C);
  const float *w = y + 1000, *bias = y + 2000;
  float *mean = o + 3 * NX, *rstd = mean + N, *dw = rstd + N, *db = dw + C;
  layernorm_forward(o, mean, rstd, x, w, bias, N, C);
  layernorm_from_stats(o + NX, x, w, bias, mean, rstd, N, C);
  memcpy(o + 2 * NX, x, NX * sizeof *o);
  memset(dw, 0, 2 * C * sizeof *o);
  layernorm_backward(o + 2 * NX, dw, db, y, x, w, mean, rstd, N, C);
}

// Adam (with weight decay on the tensors the table marks) and the EMA update:
// elementwise over the pool.
static void k_optim(float *o, const float *x, const float *y) {
  float *p = o, *m = o + NX, *v = o + 2 * NX, *ema = o + 3 * NX;
  memcpy(p, x, NX * sizeof *o);
  memcpy(ema, y, NX * sizeof *o);
  for (size_t i = 0; i < NX; i++) m[i] = 0.1f * y[i], v[i] = 0.01f * x[i] * x[i];
  AdamConfig cfg;
  adam_config_default(&cfg);
  cfg.weight_decay = 0.01;
  ParamInfo items[2] = {{.offset = 0, .numel = NX / 2, .decay = 1},
                        {.offset = NX / 2, .numel = NX - NX / 2, .decay = 0}};
  ParamTable table = {.items = items, .count = 2, .total = NX};
  CHECK(adam_step_slice(p, m, v, y, 0, NX, &table, &cfg, 1e-3, 3, 0.5f) == VDMC_OK, "adam");
  ema_update(ema, p, NX, 0.999);
}

static void k_resample(float *o, const float *x, const float *y) {
  size_t small = NX / 4;  // (B, H/2, W/2, C)
  upsample2x_forward(o, x, B, H / 2, W / 2, C);
  memcpy(o + NX, x, small * sizeof *o);
  upsample2x_backward(o + NX, y, B, H / 2, W / 2, C);
  avgpool2x_forward(o + 2 * NX, x, B, H, W, C);
  memcpy(o + 3 * NX, y, NX * sizeof *o);
  avgpool2x_backward(o + 3 * NX, x, B, H, W, C);
}

// conv 3x3 stride 1 (Winograd blocks and dW chunks; im2col) and stride 2 (im2col,
// col2im phases, bias rows); weights from y.
// A conv of 2 output pixels has fewer blocks than threads.
static void conv_case(float *o, const float *x, const float *y, Conv2dDims d) {
  const int Co = d.Cout;
  const size_t ns = conv2d_scratch_floats(&d);
  size_t nout = (size_t)d.B * conv2d_out_h(&d) * conv2d_out_w(&d) * Co;
  float *scratch = malloc((ns + 64) * sizeof *scratch);  // + a guard that must stay 7
  for (int i = 0; i < 64; i++) scratch[ns + i] = 7.0f;
  const size_t nw = (size_t)d.kh * d.kw * d.Cin * Co, nin = (size_t)d.B * d.H * d.W * d.Cin;
  const float *wt = y, *bias = y + nw;
  float *dw = o + 2 * NX, *db = dw + nw;
  conv2d_forward(o, x, wt, bias, &d, scratch);
  memcpy(o + NX, x, nin * sizeof *o);
  memset(dw, 0, (nw + (size_t)Co) * sizeof *o);
  conv2d_backward(o + NX, dw, db, y + NX - nout, x, wt, &d, scratch);
  size_t bad = 0;
  for (int i = 0; i < 64; i++) bad += scratch[ns + i] != 7.0f;
  CHECK(bad == 0, "conv %dx%d Cin %d: %zu floats written past the scratch", d.H, d.W, d.Cin, bad);
  free(scratch);
}

static void k_conv1(float *o, const float *x, const float *y) {
  conv_case(o, x, y, conv2d_dims(B, H, W, C, 32, 3, 1));
}
static void k_conv1_im2col(float *o, const float *x, const float *y) {
  Conv2dDims d = conv2d_dims(B, H, W, C, 32, 3, 1);
  d.algo = CONV_ALGO_IM2COL;
  conv_case(o, x, y, d);
}
static void k_conv2(float *o, const float *x, const float *y) {
  conv_case(o, x, y, conv2d_dims(B, H, W, C, 32, 3, 2));
}
static void k_conv_tiny(float *o, const float *x, const float *y) {
  conv_case(o, x, y, conv2d_dims(1, 1, 2, 2000, 2, 3, 1));
}

// GEMMs cut into 2 row blocks (all four transposes), 4 row blocks and 2 column blocks;
// A and B from x, y (the later products accumulate onto the earlier ones).
static void k_gemm(float *o, const float *x, const float *y) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      gemm_rowmajor(ta, tb, 384, 96, 128, x, y, 0.5f, o + (size_t)(2 * ta + tb) * 384 * 96);
  gemm_rowmajor(0, 0, 384, 192, 128, x, y, 1.0f, o);
  gemm_strided(0, 1, 96, 384, 128, -0.5f, x, 128, y, 128, 1.0f, o + 150000, 384);
}

// Attention over 2 heads of 256 tokens: forward splits the heads, backward the softmax rows;
// with the probabilities saved by forward (probs) or recomputed in backward (NULL).
static void attention_kernel(float *o, const float *x, const float *y, AttnProbs where) {
  enum { AT = 256, AC = 64, ANH = 2 };  // qkv (1, AT, 3 AC) = x
  float *out = o, *probs = out + AT * AC, *dqkv = probs + ANH * AT * AT;
  float *scratch = malloc(attention_scratch_floats(1, AT, AC, ANH, where == ATTN_PROBS_SAVED ? ATTN_KEPT_F32 : ATTN_KEPT_NONE) * sizeof *scratch);
  float *saved = where == ATTN_PROBS_SAVED ? probs : NULL;
  attention_forward(out, (AttnSavedProbs){saved, NULL}, x, 1, AT, AC, ANH, scratch);
  if (!saved) attention_probs(probs, x, 1, AT, AC, ANH);
  memcpy(dqkv, y, (size_t)AT * 3 * AC * sizeof *o);
  attention_backward(dqkv, y, x, (AttnSavedProbs){saved, NULL}, 1, AT, AC, ANH, scratch);
  free(scratch);
}

static void k_attention(float *o, const float *x, const float *y) {
  attention_kernel(o, x, y, ATTN_PROBS_SAVED);
}

static void k_attention_recomputed(float *o, const float *x, const float *y) {
  attention_kernel(o, x, y, ATTN_PROBS_RECOMPUTED);
}

static void test_kernels(void) {
  const struct {
    const char *name;
    KernelFn fn;
  } ks[] = {{"silu", k_silu},           {"dropout", k_dropout},     {"tensor_ops", k_tensor},
            {"scale_shift", k_scale_shift}, {"groupnorm", k_groupnorm}, {"resample", k_resample},
            {"conv3x3 (Winograd)", k_conv1}, {"conv3x3 im2col", k_conv1_im2col},
            {"conv3x3 stride 2", k_conv2},
            {"conv 2 pixels", k_conv_tiny}, {"gemm", k_gemm}, {"attention", k_attention},
            {"attention, P recomputed", k_attention_recomputed}, {"layernorm", k_layernorm},
            {"adam, ema", k_optim}};
  float *x = malloc(NX * sizeof *x), *y = malloc(NX * sizeof *y);
  float *ref = malloc(NOUT * sizeof *ref), *got = malloc(NOUT * sizeof *got);
  fill_uniform(x, NX, 1, -3, 3);
  fill_uniform(y, NX, 2, -1, 1);
  for (size_t k = 0; k < sizeof ks / sizeof ks[0]; k++) {
    par_set_threads(1);
    memset(ref, 0, NOUT * sizeof *ref);
    ks[k].fn(ref, x, y);
    for (int t = 2; t <= 3; t++) {
      par_set_threads(t);
      memset(got, 0, NOUT * sizeof *got);
      ks[k].fn(got, x, y);
      size_t diff = 0;
      for (size_t i = 0; i < NOUT; i++) diff += memcmp(&ref[i], &got[i], sizeof *got) != 0;
      CHECK(diff == 0, "%s: %zu of %d floats differ between 1 and %d threads", ks[k].name, diff,
            NOUT, t);
    }
  }
  par_set_threads(0);
  free(x), free(y), free(ref), free(got);
}

int main(void) {
  test_cover();
  test_kernels();
  return check_finish("parallel");
}
