// conv2d: PyTorch parity (forward and every gradient), finite-difference gradients,
// accumulation semantics, NULL gradients, and a multi-chunk case against a direct
// double-precision convolution written here.
// Legend: B batch, H/W size, Cin/Cout channels, k kernel, s stride.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "gradcheck.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd.h"

typedef struct {
  Conv2dDims d;
  size_t n_in, n_w, n_out;
} ConvShape;

static ConvShape shape_dims(Conv2dDims d) {
  ConvShape c = {d, 0, 0, 0};
  c.n_in = (size_t)d.B * d.H * d.W * d.Cin;
  c.n_w = (size_t)d.kh * d.kw * d.Cin * d.Cout;
  c.n_out = (size_t)d.B * conv2d_out_h(&d) * conv2d_out_w(&d) * d.Cout;
  return c;
}

// k x k kernel, "same" padding k/2 (the U-Net's convs).
static ConvShape shape_of(int B, int H, int W, int Cin, int Cout, int k, int s) {
  return shape_dims(conv2d_dims(B, H, W, Cin, Cout, k, s));
}

// kh x kw kernel, padding (ph, pw) (the Inception-v3 convs).
static ConvShape shape_rect(int B, int H, int W, int Cin, int Cout, int kh, int kw, int s, int ph,
                            int pw) {
  Conv2dDims d = {B, H, W, Cin, Cout, kh, kw, s, ph, pw, CONV_ALGO_AUTO};
  return shape_dims(d);
}

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static float *scratch_for(const Conv2dDims *d) { return zeros(conv2d_scratch_floats(d)); }

// CHECK_ARRAYS with "<case> <what>" as the message; n = 0 checks nothing.
static void check_named(const float *a, const float *ref, size_t n, const char *name,
                        const char *what) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s %s", name, what);
  if (n) CHECK_ARRAYS(a, ref, n, 1e-5, msg);
}

static void halve(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] *= 0.5f;
}

// ---- parity against tests/fixtures/<name>.fix (tests/reference/gen_conv.py) ----------
static void test_parity(const char *name, ConvShape c, int has_bias) {
  Fixture fx;
  if (fixture_load_case(&fx, name)) {
    CHECK(0, "%s: fixture missing", name);
    return;
  }
  const Conv2dDims *d = &c.d;
  const float *inp = fixture_floats(&fx, "inp", c.n_in);
  const float *w = fixture_floats(&fx, "weight", c.n_w);
  const float *dout = fixture_floats(&fx, "dout", c.n_out);
  const float *out_ref = fixture_floats(&fx, "out", c.n_out);
  const float *dinp_ref = fixture_floats(&fx, "dinp", c.n_in);
  const float *dw_ref = fixture_floats(&fx, "dweight", c.n_w);
  const float *bias = has_bias ? fixture_floats(&fx, "bias", (size_t)d->Cout) : NULL;
  const float *db_ref = has_bias ? fixture_floats(&fx, "dbias", (size_t)d->Cout) : NULL;
  if (!inp || !w || !dout || !out_ref || !dinp_ref || !dw_ref || (has_bias && (!bias || !db_ref))) {
    CHECK(0, "%s: fixture arrays missing or mis-shaped", name);
    fixture_free(&fx);
    return;
  }
  float *scratch = scratch_for(d), *out = zeros(c.n_out), *dinp = zeros(c.n_in),
        *dw = zeros(c.n_w), *db = zeros((size_t)d->Cout);
  const size_t nb = has_bias ? (size_t)d->Cout : 0;  // dbias compared only with a bias

  memset(out, 0x7f, c.n_out * sizeof(float));  // forward must overwrite, not add
  conv2d_forward(out, inp, w, bias, d, scratch);
  check_named(out, out_ref, c.n_out, name, "out");

  conv2d_backward(dinp, dw, has_bias ? db : NULL, dout, inp, w, d, scratch);
  check_named(dinp, dinp_ref, c.n_in, name, "dinp");
  check_named(dw, dw_ref, c.n_w, name, "dweight");
  check_named(db, db_ref, nb, name, "dbias");

  // A second backward accumulates: every gradient doubles.
  conv2d_backward(dinp, dw, has_bias ? db : NULL, dout, inp, w, d, scratch);
  halve(dinp, c.n_in), halve(dw, c.n_w), halve(db, nb);
  check_named(dinp, dinp_ref, c.n_in, name, "dinp accumulates");
  check_named(dw, dw_ref, c.n_w, name, "dweight accumulates");
  check_named(db, db_ref, nb, name, "dbias accumulates");

  // dinp = NULL (first layer) and dweight = NULL (frozen weights) are skipped.
  memset(dw, 0, c.n_w * sizeof(float));
  conv2d_backward(NULL, dw, NULL, dout, inp, w, d, scratch);
  check_named(dw, dw_ref, c.n_w, name, "dweight with dinp=NULL");
  memset(dinp, 0, c.n_in * sizeof(float));
  conv2d_backward(dinp, NULL, NULL, dout, inp, w, d, scratch);
  check_named(dinp, dinp_ref, c.n_in, name, "dinp with dweight=NULL");

  free(scratch), free(out), free(dinp), free(dw), free(db);
  fixture_free(&fx);
}

// ---- finite differences ----------------------------------------------------------------
typedef struct {
  ConvShape c;
  float *inp, *w, *bias, *probe, *out, *scratch;
} ConvCtx;

static double conv_loss(void *p) {
  ConvCtx *x = p;
  conv2d_forward(x->out, x->inp, x->w, x->bias, &x->c.d, x->scratch);
  return gradcheck_dot(x->out, x->probe, x->c.n_out);
}

// has_bias = 0 runs forward with bias = NULL (beta = 0 GEMM) and backward with dbias = NULL.
static void test_gradcheck(ConvShape c, unsigned seed, int has_bias) {
  const size_t nb = (size_t)c.d.Cout;
  ConvCtx x = {c, zeros(c.n_in), zeros(c.n_w), has_bias ? zeros(nb) : NULL, zeros(c.n_out),
               zeros(c.n_out), scratch_for(&c.d)};
  fill_uniform(x.inp, c.n_in, seed, -1, 1);
  fill_uniform(x.w, c.n_w, seed + 1, -1, 1);
  if (has_bias) fill_uniform(x.bias, nb, seed + 2, -1, 1);
  fill_uniform(x.probe, c.n_out, seed + 3, -1, 1);
  float *dinp = zeros(c.n_in), *dw = zeros(c.n_w), *db = has_bias ? zeros(nb) : NULL;
  conv2d_backward(dinp, dw, db, x.probe, x.inp, x.w, &c.d, x.scratch);
  GradcheckTarget t[3] = {{"conv2d.dinp", x.inp, dinp, c.n_in},
                          {"conv2d.dweight", x.w, dw, c.n_w},
                          {"conv2d.dbias", x.bias, db, nb}};
  // The loss is linear in each tensor, so a large step has no truncation error.
  double worst = gradcheck_run(conv_loss, &x, t, has_bias ? 3 : 2, 0.1, 1e-3, 1e-4, 80);
  printf("gradcheck %dx%d s=%d pad %d,%d B=%d %dx%d Cin=%d Cout=%d bias=%d: worst rel err %.2e\n",
         c.d.kh, c.d.kw, c.d.stride, c.d.pad_h, c.d.pad_w, c.d.B, c.d.H, c.d.W, c.d.Cin, c.d.Cout, has_bias, worst);
  free(x.inp), free(x.w), free(x.bias), free(x.probe), free(x.out), free(x.scratch);
  free(dinp), free(dw), free(db);
}

// ---- several row chunks, against a direct convolution in double ------------------------
static void direct_conv(double *out, double *dinp, double *dw, const float *inp, const float *w,
                        const float *dout, const Conv2dDims *d) {
  const int Ho = conv2d_out_h(d), Wo = conv2d_out_w(d);
  for (int b = 0; b < d->B; b++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++)
        for (int co = 0; co < d->Cout; co++) {
          size_t o = (((size_t)b * Ho + oy) * Wo + ox) * d->Cout + co;
          double acc = 0;
          for (int ky = 0; ky < d->kh; ky++)
            for (int kx = 0; kx < d->kw; kx++) {
              int iy = oy * d->stride + ky - d->pad_h, ix = ox * d->stride + kx - d->pad_w;
              if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
              for (int ci = 0; ci < d->Cin; ci++) {
                size_t i = (((size_t)b * d->H + iy) * d->W + ix) * d->Cin + ci;
                size_t wi = (((size_t)ky * d->kw + kx) * d->Cin + ci) * d->Cout + co;
                acc += (double)inp[i] * w[wi];
                dinp[i] += (double)dout[o] * w[wi];
                dw[wi] += (double)dout[o] * inp[i];
              }
            }
          out[o] = acc;
        }
}

static void compare_double(const float *a, const double *ref, size_t n, const char *what) {
  float *r = zeros(n);
  for (size_t i = 0; i < n; i++) r[i] = (float)ref[i];
  double err = CHECK_ARRAYS(a, r, n, 2e-5, what);
  printf("%s: max rel err %.2e\n", what, err);
  free(r);
}

// many_chunks: the case must span several col chunks.
static void test_direct(ConvShape c, int many_chunks) {
  const Conv2dDims *d = &c.d;
  size_t rows = c.n_out / (size_t)d->Cout, K = (size_t)d->kh * d->kw * d->Cin;
  if (many_chunks)
    CHECK(conv2d_scratch_floats(d) < rows * K, "case spans several chunks (%zu < %zu floats)",
          conv2d_scratch_floats(d), rows * K);
  float *inp = zeros(c.n_in), *w = zeros(c.n_w), *dout = zeros(c.n_out), *out = zeros(c.n_out),
        *dinp = zeros(c.n_in), *dw = zeros(c.n_w), *scratch = scratch_for(d);
  double *out_r = calloc(c.n_out, sizeof(double)), *dinp_r = calloc(c.n_in, sizeof(double)),
         *dw_r = calloc(c.n_w, sizeof(double));
  fill_uniform(inp, c.n_in, 11, -1, 1);
  fill_uniform(w, c.n_w, 12, -1, 1);
  fill_uniform(dout, c.n_out, 13, -1, 1);
  direct_conv(out_r, dinp_r, dw_r, inp, w, dout, d);
  conv2d_forward(out, inp, w, NULL, d, scratch);
  conv2d_backward(dinp, dw, NULL, dout, inp, w, d, scratch);
  compare_double(out, out_r, c.n_out, "direct out");
  compare_double(dinp, dinp_r, c.n_in, "direct dinp");
  compare_double(dw, dw_r, c.n_w, "direct dweight");
  free(inp), free(w), free(dout), free(out), free(dinp), free(dw), free(scratch);
  free(out_r), free(dinp_r), free(dw_r);
}

// ---- Winograd F(2x2,3x3): 3x3 stride 1 with >= 16 channels ----------------------------
// Each shape is checked to take the Winograd path, so these cannot pass on im2col.
static ConvShape wino_shape(ConvShape c) {
  CHECK(conv2d_winograd_applies(&c.d), "%dx%d Cin %d Cout %d pad %d,%d takes the Winograd path",
        c.d.H, c.d.W, c.d.Cin, c.d.Cout, c.d.pad_h, c.d.pad_w);
  return c;
}

static void test_winograd(void) {
  // Shapes must match CONV_WINO_CASES in tests/reference/gen_conv.py.
  test_parity("conv_k3s1_wino", wino_shape(shape_of(2, 5, 7, 16, 18, 3, 1)), 1);
  test_parity("conv_3x3_valid_wino", wino_shape(shape_rect(1, 6, 9, 17, 16, 3, 3, 1, 0, 0)), 0);
  test_gradcheck(wino_shape(shape_of(1, 5, 4, 16, 16, 3, 1)), 1600, 1);
  test_gradcheck(wino_shape(shape_rect(1, 6, 5, 16, 17, 3, 3, 1, 0, 0)), 1700, 0);
  test_gradcheck(wino_shape(shape_rect(1, 3, 4, 16, 16, 3, 3, 1, 2, 2)), 1800, 1);
  // 9600 tiles: several forward blocks and two weight-gradient chunks.
  test_direct(wino_shape(shape_of(6, 80, 80, 16, 16, 3, 1)), 0);
  // odd sizes, mixed padding, channel counts off the kernel's 16-column tiles
  test_direct(wino_shape(shape_rect(2, 9, 11, 20, 24, 3, 3, 1, 2, 2)), 0);
  test_direct(wino_shape(shape_rect(3, 13, 7, 16, 33, 3, 3, 1, 0, 1)), 0);
  test_direct(wino_shape(shape_rect(1, 1, 1, 40, 17, 3, 3, 1, 1, 1)), 0);
  // the im2col path on a Winograd shape still works when asked for
  ConvShape c = shape_of(2, 7, 6, 16, 16, 3, 1);
  c.d.algo = CONV_ALGO_IM2COL;
  CHECK(!conv2d_winograd_applies(&c.d), "CONV_ALGO_IM2COL keeps a 3x3 conv on im2col");
  test_direct(c, 0);
}

int main(void) {
  // Shapes must match CONV_CASES in tests/reference/gen_conv.py.
  test_parity("conv_k3s1", shape_of(2, 5, 7, 3, 5, 3, 1), 1);
  test_parity("conv_k3s2", shape_of(2, 7, 6, 4, 3, 3, 2), 1);
  test_parity("conv_k3s2_even", shape_of(1, 8, 8, 5, 6, 3, 2), 0);
  test_parity("conv_k1s1", shape_of(3, 4, 5, 6, 7, 1, 1), 1);
  test_parity("conv_k1s2", shape_of(2, 5, 6, 3, 4, 1, 2), 0);
  // Shapes must match CONV_RECT_CASES (B, H, W, Cin, Cout, kh, kw, stride, pad_h, pad_w).
  test_parity("conv_1x7", shape_rect(2, 5, 9, 3, 4, 1, 7, 1, 0, 3), 1);
  test_parity("conv_7x1", shape_rect(1, 9, 4, 4, 3, 7, 1, 1, 3, 0), 0);
  test_parity("conv_1x3", shape_rect(2, 4, 5, 3, 2, 1, 3, 1, 0, 1), 1);
  test_parity("conv_5x5", shape_rect(1, 6, 7, 3, 4, 5, 5, 1, 2, 2), 1);
  test_parity("conv_3x3_valid", shape_rect(2, 7, 8, 3, 4, 3, 3, 1, 0, 0), 1);
  test_parity("conv_3x3s2_valid", shape_rect(1, 9, 8, 4, 3, 3, 3, 2, 0, 0), 0);

  test_gradcheck(shape_of(2, 5, 7, 3, 5, 3, 1), 100, 1);
  test_gradcheck(shape_of(1, 7, 6, 4, 3, 3, 2), 200, 1);
  test_gradcheck(shape_of(2, 6, 5, 5, 2, 3, 2), 300, 1);
  test_gradcheck(shape_of(1, 1, 1, 3, 2, 3, 1), 400, 1);
  test_gradcheck(shape_of(2, 3, 4, 5, 7, 1, 1), 500, 1);
  test_gradcheck(shape_of(2, 5, 4, 3, 4, 1, 2), 600, 1);
  test_gradcheck(shape_of(2, 3, 5, 4, 6, 1, 1), 700, 0);
  test_gradcheck(shape_of(1, 5, 5, 3, 2, 3, 2), 800, 0);
  test_gradcheck(shape_rect(2, 4, 7, 3, 2, 1, 7, 1, 0, 3), 900, 1);
  test_gradcheck(shape_rect(1, 7, 3, 2, 3, 7, 1, 1, 3, 0), 1000, 0);
  test_gradcheck(shape_rect(1, 6, 6, 2, 3, 5, 5, 1, 2, 2), 1100, 1);
  test_gradcheck(shape_rect(2, 7, 6, 3, 2, 3, 3, 2, 0, 0), 1200, 1);
  test_gradcheck(shape_rect(1, 5, 6, 2, 2, 3, 1, 1, 1, 0), 1300, 0);

  // K = 9*260 -> 1152-row chunks (8 blocks of 144); 1 x 37 x 35 = 1295 rows, split mid
  // image row.
  test_direct(shape_of(1, 37, 35, 260, 3, 3, 1), 1);
  // K = 7*340 -> 1152-row chunks; 1 x 41 x 31 = 1271 rows, a tall kernel across chunks.
  test_direct(shape_rect(1, 41, 31, 340, 3, 7, 1, 1, 3, 0), 1);
  // Cin >= 16, stride 1: dinp as a transposed conv (same, 1x7, 5x5, valid, 7x1 shapes).
  test_direct(shape_of(2, 6, 7, 16, 5, 3, 1), 0);
  test_direct(shape_rect(1, 5, 9, 17, 4, 1, 7, 1, 0, 3), 0);
  test_direct(shape_rect(1, 6, 7, 16, 3, 5, 5, 1, 2, 2), 0);
  test_direct(shape_rect(2, 7, 8, 16, 4, 3, 3, 1, 0, 0), 0);
  test_direct(shape_rect(1, 9, 5, 20, 6, 7, 1, 1, 3, 0), 0);
  test_gradcheck(shape_rect(1, 5, 6, 16, 3, 3, 3, 1, 1, 1), 1400, 1);
  test_gradcheck(shape_rect(1, 6, 5, 16, 2, 3, 3, 1, 0, 0), 1500, 0);
  test_winograd();
  return check_finish("conv2d");
}
