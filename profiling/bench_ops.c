// Convolution speed against the GEMM it is built on (DESIGN.md principle 6).
//
// For each conv shape of the default Fashion-MNIST U-Net and of an ImageNet-64
// ADM-style U-Net (batch 32), times conv2d_forward and conv2d_backward (dinp,
// dweight and dbias) and, in the same run, gemm_rowmajor (ops/gemm.h: sgemm cut into
// blocks for the thread pool, as the convs use it) on the GEMMs the conv amounts to: forward  (M,K).(K,N);  backward (K,M).(M,N) for dweight plus
// (M,N).(N,K) for dinp, with M = B*Ho*Wo, K = k*k*Cin, N = Cout. Each figure is the
// median of `reps` timed runs (conv and sgemm alternating) after one warm-up;
// ratio = conv GFLOP/s / sgemm GFLOP/s.
//
// usage: OPENBLAS_NUM_THREADS=T bench_ops [reps=5]
#define _POSIX_C_SOURCE 199309L  // clock_gettime
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ops/conv2d.h"
#include "ops/gemm.h"
#include "ops/parallel.h"

typedef struct {
  const char *what;
  Conv2dDims d;
} BenchShape;

// Shape list (docs/ops.md): res-block 3x3 convs at each U-Net level, the first
// conv from the image, a stride-2 down-sampling conv and a 1x1 skip projection.
// Fields: B, H, W, Cin, Cout, kh, kw, stride, pad_h, pad_w.
static const BenchShape SHAPES[] = {
    {"fmnist in 28x28 1->64 k3", {32, 28, 28, 1, 64, 3, 3, 1, 1, 1}},
    {"fmnist 28x28 64->64 k3", {32, 28, 28, 64, 64, 3, 3, 1, 1, 1}},
    {"fmnist 14x14 128->128 k3", {32, 14, 14, 128, 128, 3, 3, 1, 1, 1}},
    {"fmnist down 28->14 64 k3s2", {32, 28, 28, 64, 64, 3, 3, 2, 1, 1}},
    {"i64 32x32 128->128 k3", {32, 32, 32, 128, 128, 3, 3, 1, 1, 1}},
    {"i64 16x16 128->128 k3", {32, 16, 16, 128, 128, 3, 3, 1, 1, 1}},
    {"i64 8x8 256->256 k3", {32, 8, 8, 256, 256, 3, 3, 1, 1, 1}},
    {"i64 down 32->16 128 k3s2", {32, 32, 32, 128, 128, 3, 3, 2, 1, 1}},
    {"i64 skip 16x16 256->128 k1", {32, 16, 16, 256, 128, 1, 1, 1, 0, 0}},
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
  float *inp, *w, *bias, *out, *dinp, *dw, *db, *scratch;  // conv buffers
  float *a, *b, *c;                                      // sgemm baseline buffers
  size_t M, N, K;
} Bench;

typedef void (*BenchFn)(Bench *x);

static void run_conv_fwd(Bench *x) {
  conv2d_forward(x->out, x->inp, x->w, x->bias, &x->s->d, x->scratch);
}
static void run_conv_bwd(Bench *x) {
  conv2d_backward(x->dinp, x->dw, x->db, x->out, x->inp, x->w, &x->s->d, x->scratch);
}
static void run_gemm_fwd(Bench *x) {
  gemm_rowmajor(0, 0, x->M, x->N, x->K, x->a, x->b, 0.0f, x->c);  // out = col . W
}
static void run_gemm_bwd(Bench *x) {
  gemm_rowmajor(1, 0, x->K, x->N, x->M, x->a, x->b, 0.0f, x->c);  // dweight: col^T . dout
  gemm_rowmajor(0, 1, x->M, x->K, x->N, x->a, x->b, 0.0f, x->c);  // dcol: dout . W^T
}

// Times fn_a and fn_b alternately (after one warm-up each) so that load from other
// processes hits both alike; stores the median seconds of each.
static void median_pair(BenchFn fn_a, BenchFn fn_b, Bench *x, int reps, double *ta, double *tb) {
  double a[64], b[64];
  fn_a(x), fn_b(x);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    fn_a(x);
    double t1 = now();
    fn_b(x);
    a[r] = t1 - t0, b[r] = now() - t1;
  }
  qsort(a, (size_t)reps, sizeof *a, cmp_double);
  qsort(b, (size_t)reps, sizeof *b, cmp_double);
  *ta = a[reps / 2], *tb = b[reps / 2];
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
  if (reps < 1 || reps > 64) {
    fprintf(stderr, "bench_ops: reps must be in 1..64, got '%s'\n", argv[1]);
    return 1;
  }
  printf("OpenBLAS core %s, %d threads; median of %d reps; GFLOP/s counts 2*M*N*K per GEMM\n",
         openblas_get_corename(), par_max_threads(), reps);
  printf("%-28s %6s %5s %4s | %7s %7s %5s | %7s %7s %5s | %8s\n", "shape (B=32)", "M", "K", "N",
         "fwd", "sgemm", "ratio", "bwd", "sgemm", "ratio", "scratchMB");
  for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
    const Conv2dDims *d = &SHAPES[i].d;
    Bench x = {.s = &SHAPES[i]};
    x.M = (size_t)d->B * conv2d_out_h(d) * conv2d_out_w(d);
    x.N = (size_t)d->Cout;
    x.K = (size_t)d->kh * d->kw * d->Cin;
    size_t n_in = (size_t)d->B * d->H * d->W * d->Cin;
    size_t big = x.M * (x.K > x.N ? x.K : x.N);  // >= every GEMM operand below
    x.inp = buffer(n_in), x.dinp = buffer(n_in);
    x.w = buffer(x.K * x.N), x.dw = buffer(x.K * x.N);
    x.bias = buffer(x.N), x.db = buffer(x.N);
    x.out = buffer(x.M * x.N);
    x.scratch = buffer(conv2d_scratch_floats(d) ? conv2d_scratch_floats(d) : 1);
    x.a = buffer(big), x.b = buffer(big), x.c = buffer(big);
    double gf = 2.0 * (double)x.M * (double)x.N * (double)x.K * 1e-9;
    double t_cf, t_gf, t_cb, t_gb;
    median_pair(run_conv_fwd, run_gemm_fwd, &x, reps, &t_cf, &t_gf);
    median_pair(run_conv_bwd, run_gemm_bwd, &x, reps, &t_cb, &t_gb);
    double cf = gf / t_cf, gfw = gf / t_gf, cb = 2 * gf / t_cb, gb = 2 * gf / t_gb;
    printf("%-28s %6zu %5zu %4zu | %7.1f %7.1f %4.0f%% | %7.1f %7.1f %4.0f%% | %8.1f\n", SHAPES[i].what,
           x.M, x.K, x.N, cf, gfw, 100 * cf / gfw, cb, gb, 100 * cb / gb,
           (double)conv2d_scratch_floats(d) * 4e-6);
    fflush(stdout);
    free(x.inp), free(x.dinp), free(x.w), free(x.dw), free(x.bias), free(x.db), free(x.out);
    free(x.scratch), free(x.a), free(x.b), free(x.c);
  }
  return 0;
}
