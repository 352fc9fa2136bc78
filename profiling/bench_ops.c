// Convolution speed against the GEMM it is built on (docs/design.md, Measured, not assumed).
//
// For each conv shape of the default Fashion-MNIST U-Net and of an ImageNet-64
// ADM-style U-Net (batch 32), times conv2d_forward and conv2d_backward (dinp,
// dweight and dbias) and, in the same run, the same conv forced onto the im2col + GEMM
// path (the baseline for Winograd) and gemm_rowmajor (ops/gemm.h: sgemm cut into
// blocks for the thread pool, as the convs use it) on the GEMMs im2col amounts to:
// forward (M,K).(K,N); backward (K,M).(M,N) for dweight plus (M,N).(N,K) for dinp, with
// M = B*Ho*Wo, K = k*k*Cin, N = Cout. Every GFLOP/s counts those direct-convolution
// FLOPs, whatever the path computes. Each figure is the median of `reps` timed runs
// (the three alternating) after one warm-up; ratio = conv GFLOP/s / sgemm GFLOP/s.
// With `bf16` the convs are the bf16 products of a bf16 run (conv2d_*_mixed, the
// kernel where the CPU has it) and the GEMMs run in a bf16 region (the same kernel):
// whether Winograd still beats im2col once the GEMMs are twice as fast.
//
// usage: OPENBLAS_NUM_THREADS=T bench_ops [reps=5] [only: shapes whose name contains it,
//        "" for all] [bf16]
#define _POSIX_C_SOURCE 199309L  // clock_gettime
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_gemm_small.h"
#include "ops/bf16.h"
#include "ops/bf16_products.h"
#include "ops/conv2d.h"
#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

typedef struct {
  const char *what;
  Conv2dDims d;
} BenchShape;

// Shape list (docs/ops.md): res-block 3x3 convs at each U-Net level, the first
// conv from the image, a stride-2 down-sampling conv and a 1x1 skip projection.
// Fields: B, H, W, Cin, Cout, kh, kw, stride, pad_h, pad_w.
static const BenchShape SHAPES[] = {
    {"fmnist 28x28 32->32 k3", {32, 28, 28, 32, 32, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist 14x14 64->64 k3", {32, 14, 14, 64, 64, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist 7x7 64->64 k3", {32, 7, 7, 64, 64, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist in 28x28 1->64 k3", {32, 28, 28, 1, 64, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist 28x28 64->64 k3", {32, 28, 28, 64, 64, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist 14x14 128->128 k3", {32, 14, 14, 128, 128, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"fmnist down 28->14 64 k3s2", {32, 28, 28, 64, 64, 3, 3, 2, 1, 1, CONV_ALGO_AUTO}},
    {"i64 32x32 128->128 k3", {32, 32, 32, 128, 128, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"i64 16x16 128->128 k3", {32, 16, 16, 128, 128, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"i64 8x8 256->256 k3", {32, 8, 8, 256, 256, 3, 3, 1, 1, 1, CONV_ALGO_AUTO}},
    {"i64 down 32->16 128 k3s2", {32, 32, 32, 128, 128, 3, 3, 2, 1, 1, CONV_ALGO_AUTO}},
    {"i64 skip 16x16 256->128 k1", {32, 16, 16, 256, 128, 1, 1, 1, 0, 0, CONV_ALGO_AUTO}},
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

typedef struct {
  const BenchShape *s;
  Conv2dDims im2col;                                     // s->d with CONV_ALGO_IM2COL
  float *inp, *w, *bias, *out, *dinp, *dw, *db, *scratch;  // conv buffers
  float *a, *b, *c;                                      // sgemm baseline buffers
  size_t M, N, K;
  const Bf16Operands *bf;                                // bf16 products, or NULL: fp32
} Bench;

typedef void (*BenchFn)(Bench *x);

static void conv_fwd(Bench *x, const Conv2dDims *d) {
  conv2d_forward_mixed(x->bf, x->out, x->inp, x->w, x->bias, d, x->scratch);
}
static void conv_bwd(Bench *x, const Conv2dDims *d) {
  conv2d_backward_mixed(x->bf, x->dinp, x->dw, x->db, x->out, mixed_input_f32(x->inp), x->w, d,
                        x->scratch);
}
static void run_conv_fwd(Bench *x) { conv_fwd(x, &x->s->d); }
static void run_conv_bwd(Bench *x) { conv_bwd(x, &x->s->d); }
static void run_im2col_fwd(Bench *x) { conv_fwd(x, &x->im2col); }
static void run_im2col_bwd(Bench *x) { conv_bwd(x, &x->im2col); }
static void run_gemm_fwd(Bench *x) {
  if (x->bf) gemm_bf16_region_begin();
  gemm_rowmajor(0, 0, x->M, x->N, x->K, x->a, x->b, 0.0f, x->c);  // out = col . W
  if (x->bf) gemm_bf16_region_end();
}
static void run_gemm_bwd(Bench *x) {
  if (x->bf) gemm_bf16_region_begin();
  gemm_rowmajor(1, 0, x->K, x->N, x->M, x->a, x->b, 0.0f, x->c);  // dweight: col^T . dout
  gemm_rowmajor(0, 1, x->M, x->K, x->N, x->a, x->b, 0.0f, x->c);  // dcol: dout . W^T
  if (x->bf) gemm_bf16_region_end();
}

// Times the three functions in turn (after one warm-up each) so that load from other
// processes hits them alike; stores the median seconds of each in t[0..2].
static void median_three(const BenchFn fn[3], Bench *x, int reps, double t[3]) {
  double s[3][64];
  for (int f = 0; f < 3; f++) fn[f](x);
  for (int r = 0; r < reps; r++)
    for (int f = 0; f < 3; f++) {
      double t0 = now();
      fn[f](x);
      s[f][r] = now() - t0;
    }
  for (int f = 0; f < 3; f++) {
    qsort(s[f], (size_t)reps, sizeof s[f][0], cmp_double);
    t[f] = s[f][reps / 2];
  }
}

static float *buffer(size_t n) {
  float *p = malloc(n * sizeof(float));
  if (!p) {
    fprintf(stderr, "bench_ops: out of memory (%zu floats)\n", n);
    exit(1);
  }
  for (size_t i = 0; i < n; i++) p[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
  return p;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 5;
  const char *only = argc > 2 ? argv[2] : NULL;  // run the shapes whose name contains this
  const int bf16 = argc > 3 && !strcmp(argv[3], "bf16");
  if (reps < 1 || reps > 64) {
    fprintf(stderr, "bench_ops: reps must be in 1..64, got '%s'\n", argv[1]);
    return 1;
  }
  if (argc > 3 && !bf16) {
    fprintf(stderr, "bench_ops: the third argument can only be bf16, got '%s'\n", argv[3]);
    return 1;
  }
  if (bench_gemm_small_from_env("bench_ops")) return 1;
  printf("OpenBLAS core %s, %d threads, gemm_small %s; median of %d reps; GFLOP/s counts "
         "2*M*N*K per GEMM\n",
         openblas_get_corename(), par_max_threads(), gemm_small_path_name(gemm_small_path()), reps);
  if (bf16)
    printf("bf16 products (conv2d_*_mixed) on the %s; the GEMM column in a bf16 region\n",
           bf16_path_name());
  printf("GFLOP/s of the direct convolution's 2*M*N*K (3x that for fwd+bwd); conv = the path\n"
         "conv2d picks (Winograd F(2x2,3x3) for 3x3 stride 1 with >= 16 channels), im2col = the\n"
         "im2col + GEMM path on the same shape, sgemm = cblas_sgemm on the im2col GEMMs\n");
  printf("%-28s %6s %5s %4s | %6s %6s %6s %5s | %6s %6s %6s %5s | %8s\n", "shape (B=32)", "M", "K",
         "N", "fwd", "im2col", "sgemm", "ratio", "bwd", "im2col", "sgemm", "ratio", "scratchMB");
  for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
    if (only && !strstr(SHAPES[i].what, only)) continue;
    const Conv2dDims *d = &SHAPES[i].d;
    Bench x = {.s = &SHAPES[i], .im2col = *d};
    x.im2col.algo = CONV_ALGO_IM2COL;
    x.M = (size_t)d->B * conv2d_out_h(d) * conv2d_out_w(d);
    x.N = (size_t)d->Cout;
    x.K = (size_t)d->kh * d->kw * d->Cin;
    size_t n_in = (size_t)d->B * d->H * d->W * d->Cin;
    size_t big = x.M * (x.K > x.N ? x.K : x.N);  // >= every GEMM operand below
    x.inp = buffer(n_in), x.dinp = buffer(n_in);
    x.w = buffer(x.K * x.N), x.dw = buffer(x.K * x.N);
    x.bias = buffer(x.N), x.db = buffer(x.N);
    x.out = buffer(x.M * x.N);
    size_t ns = conv2d_scratch_floats(d), ni = conv2d_scratch_floats(&x.im2col);
    x.scratch = buffer(ns > ni ? ns : ni);
    size_t nb = conv2d_mixed_floats(d), nbi = conv2d_mixed_floats(&x.im2col);
    Bf16Operands bf = {bf16 ? buffer(nb > nbi ? nb : nbi) : NULL, nb > nbi ? nb : nbi, 0};
    x.bf = bf16 ? &bf : NULL;
    x.a = buffer(big), x.b = buffer(big), x.c = buffer(big);
    double gf = 2.0 * (double)x.M * (double)x.N * (double)x.K * 1e-9;
    const BenchFn fwd[3] = {run_conv_fwd, run_im2col_fwd, run_gemm_fwd};
    const BenchFn bwd[3] = {run_conv_bwd, run_im2col_bwd, run_gemm_bwd};
    double tf[3], tb[3];
    median_three(fwd, &x, reps, tf);
    median_three(bwd, &x, reps, tb);
    printf("%-28s %6zu %5zu %4zu | %6.1f %6.1f %6.1f %4.0f%% | %6.1f %6.1f %6.1f %4.0f%% | %8.1f\n",
           SHAPES[i].what, x.M, x.K, x.N, gf / tf[0], gf / tf[1], gf / tf[2], 100 * tf[2] / tf[0],
           2 * gf / tb[0], 2 * gf / tb[1], 2 * gf / tb[2], 100 * tb[2] / tb[0], (double)ns * 4e-6);
    fflush(stdout);
    free(x.inp), free(x.dinp), free(x.w), free(x.dw), free(x.bias), free(x.db), free(x.out);
    free(x.scratch), free(x.a), free(x.b), free(x.c), free(bf.buf);
  }
  return 0;
}
