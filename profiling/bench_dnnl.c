// oneDNN's bf16 matmul (Debian libdnnl 2.6, the library PyTorch runs CPU bf16 on) against
// vdmc's AVX512-BF16 GEMM (ops/gemm_bf16.h) on the products of the shipped configs (issue
// 18): C (m,n) fp32 = A (m,k) . B (k,n), bf16 operands summed in fp32, one thread each.
// Per shape, in GFLOP/s (2mnk per call):
//   sgemm                 OpenBLAS cblas_sgemm on the fp32 data: the named baseline;
//   vdmc bf16             gemm_bf16 on the same fp32 data, which it rounds to bf16 while it
//                         packs the operands: conversion is part of every call;
//   oneDNN pre-converted  the matmul on A and B already in bf16 (converted once, untimed):
//                         oneDNN's best case, a caller that keeps its tensors in bf16;
//   oneDNN with reorder   an fp32->bf16 reorder of A and of B, then the matmul, every call:
//                         the like-for-like figure against vdmc.
// oneDNN gets plain row-major operands (B as the model stores it: transposed for Q.K^T),
// not its blocked layouts, so it packs them in every call, as vdmc does.
// Each figure is the best of 3 runs, each repeating the call for >= `seconds` after one
// warm-up call. Both oneDNN results are checked against vdmc's: the same bf16 operands
// summed in fp32 differ only in the order of the sums (~1e-6 of sum |a||b| per element);
// past 1e-4 the program names the shape and exits 1. The last lines give the kernels
// that ran and the geometric mean of oneDNN / vdmc over the shapes for both variants.
// The host may be shared: compare figures within one run.
//
// usage: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 bench_dnnl [seconds=0.3]
//                                                            [only: shapes whose name contains it]
#define _POSIX_C_SOURCE 199309L  // clock_gettime
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas/blas_startup.h"
#include "core/status.h"
#include "oneapi/dnnl/dnnl.h"
#include "oneapi/dnnl/dnnl_debug.h"
#include "ops/gemm_bf16.h"

typedef struct {
  const char *name;
  int m, n, k;
  int trans_b;  // B stored (n, k): K in attention's Q.K^T
} Shape;

// The 3x3 convs as their im2col GEMMs (m = batch*H*W, k = 9*Cin, n = Cout; Winograd, which
// the stride-1 convs take, multiplies other shapes), fmnist at batch 32, i64 (ADM layout,
// base 32, mult 1,2,3,4) and uvit (uvit_config_small: its conv stages are i64's first two
// shapes) at batch 8 as bench_step runs them; attention per (image, head) with 32-channel
// heads (i64 at 32x32: T = 1024) and 64-channel ones (uvit, 16x16 tokens: T = 256); the
// U-ViT's linears on 8 x 256 tokens of width 256 (qkv, output projection, MLP 4x).
static const Shape SHAPES[] = {
    {"fmnist conv 28x28 32->32", 32 * 28 * 28, 32, 9 * 32, 0},
    {"fmnist conv 14x14 32->64", 32 * 14 * 14, 64, 9 * 32, 0},
    {"fmnist conv 14x14 64->64", 32 * 14 * 14, 64, 9 * 64, 0},
    {"fmnist conv 7x7 64->64", 32 * 7 * 7, 64, 9 * 64, 0},
    {"i64 conv 64x64 32->32", 8 * 64 * 64, 32, 9 * 32, 0},
    {"i64 conv 32x32 64->64", 8 * 32 * 32, 64, 9 * 64, 0},
    {"i64 conv 16x16 96->96", 8 * 16 * 16, 96, 9 * 96, 0},
    {"i64 conv 8x8 128->128", 8 * 8 * 8, 128, 9 * 128, 0},
    {"i64 attn QK^T T=1024 D=32", 1024, 1024, 32, 1},
    {"i64 attn PV T=1024 D=32", 1024, 32, 1024, 0},
    {"uvit attn QK^T T=256 D=64", 256, 256, 64, 1},
    {"uvit attn PV T=256 D=64", 256, 64, 256, 0},
    {"uvit linear qkv", 2048, 768, 256, 0},
    {"uvit linear proj", 2048, 256, 256, 0},
    {"uvit linear mlp in", 2048, 1024, 256, 0},
    {"uvit linear mlp out", 2048, 256, 1024, 0},
    {"square 512", 512, 512, 512, 0},
};
enum { N_SHAPES = sizeof SHAPES / sizeof SHAPES[0], IMPL_LEN = 96 };

// |oneDNN - vdmc| per element, over sum |a||b|: past this the two did not compute the
// same product (the order of fp32 sums alone gives ~1e-6).
static const double MAX_REL_DIFF = 1e-4;

typedef struct {
  const Shape *s;
  float *a, *b;        // fp32 operands: A (m,k); B (k,n), or (n,k) when trans_b
  float *c, *c_vdmc;   // (m,n): sgemm's and oneDNN's product; vdmc's, the reference
  float *abs_sums;     // (m,n): sum_p |a_ip||b_pj|, the scale of the check
  dnnl_stream_t stream;
  dnnl_memory_t a32, b32, a16, b16, c_mem;  // a32, b32, c_mem wrap a, b, c
  dnnl_primitive_t matmul, to_bf16_a, to_bf16_b;
  char impl[IMPL_LEN], reorder_impl[IMPL_LEN];
} Bench;

typedef struct {
  double sgemm, vdmc, dnnl, dnnl_reorder;  // GFLOP/s
  double rel_diff;                         // the larger of the two oneDNN checks
} Result;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// A benchmark cannot go on past a failed oneDNN call: says which, and exits.
static void check(dnnl_status_t st, const char *what) {
  if (st == dnnl_success) return;
  fprintf(stderr, "bench_dnnl: %s failed: %s\n", what, dnnl_status2str(st));
  exit(1);
}

// ---- the four products timed -------------------------------------------------------

static void run_sgemm(Bench *x) {
  const Shape *s = x->s;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, s->trans_b ? CblasTrans : CblasNoTrans, s->m, s->n,
              s->k, 1.0f, x->a, s->k, x->b, s->trans_b ? s->k : s->n, 0.0f, x->c, s->n);
}

static void run_vdmc(Bench *x) {
  const Shape *s = x->s;
  size_t n = (size_t)s->n, k = (size_t)s->k;
  gemm_bf16((size_t)s->m, n, k, 1.0f, x->a, k, 1, x->b, s->trans_b ? 1 : n, s->trans_b ? k : 1,
            0.0f, x->c_vdmc, n);
}

static void execute(const Bench *x, dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) {
  check(dnnl_primitive_execute(p, x->stream, nargs, args), "dnnl_primitive_execute");
}

static void run_matmul(Bench *x) {
  dnnl_exec_arg_t args[] = {
      {DNNL_ARG_SRC, x->a16}, {DNNL_ARG_WEIGHTS, x->b16}, {DNNL_ARG_DST, x->c_mem}};
  execute(x, x->matmul, 3, args);
  check(dnnl_stream_wait(x->stream), "dnnl_stream_wait");
}

static void run_to_bf16(Bench *x) {
  dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, x->a32}, {DNNL_ARG_TO, x->a16}};
  dnnl_exec_arg_t b[] = {{DNNL_ARG_FROM, x->b32}, {DNNL_ARG_TO, x->b16}};
  execute(x, x->to_bf16_a, 2, a);
  execute(x, x->to_bf16_b, 2, b);
}

static void run_reorder_matmul(Bench *x) {
  run_to_bf16(x);
  run_matmul(x);
}

typedef void (*RunFn)(Bench *x);

// Best GFLOP/s of 3 runs, each repeating run for >= seconds.
static double gflops(RunFn run, Bench *x, double seconds) {
  const Shape *s = x->s;
  double flops = 2.0 * s->m * s->n * s->k, best = 0;
  run(x);  // warm-up: first touch of C, oneDNN's scratchpad
  for (int r = 0; r < 3; r++) {
    long calls = 0;
    double t0 = now(), t;
    do {
      run(x);
      calls++;
      t = now() - t0;
    } while (t < seconds);
    if (flops * (double)calls / t > best) best = flops * (double)calls / t;
  }
  return best * 1e-9;
}

// ---- oneDNN set-up -----------------------------------------------------------------

static dnnl_memory_desc_t plain(int rows, int cols, dnnl_data_type_t type, dnnl_format_tag_t tag) {
  dnnl_memory_desc_t md;
  dnnl_dims_t dims = {rows, cols};
  check(dnnl_memory_desc_init_by_tag(&md, 2, dims, type, tag), "dnnl_memory_desc_init_by_tag");
  return md;
}

// handle: the caller's buffer, or DNNL_MEMORY_ALLOCATE for one oneDNN owns.
static dnnl_memory_t memory(dnnl_memory_desc_t md, dnnl_engine_t engine, void *handle) {
  dnnl_memory_t mem;
  check(dnnl_memory_create(&mem, &md, engine, handle), "dnnl_memory_create");
  return mem;
}

// The primitive of pd (destroyed), its implementation's name in impl.
static dnnl_primitive_t primitive(dnnl_primitive_desc_t pd, char *impl) {
  const char *name = "?";
  check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name), "impl_info_str");
  snprintf(impl, IMPL_LEN, "%s", name);
  dnnl_primitive_t p;
  check(dnnl_primitive_create(&p, pd), "dnnl_primitive_create");
  dnnl_primitive_desc_destroy(pd);
  return p;
}

static dnnl_primitive_t reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to,
                                dnnl_engine_t engine, char *impl) {
  dnnl_primitive_desc_t pd;
  check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, NULL),
        "dnnl_reorder_primitive_desc_create");
  return primitive(pd, impl);
}

// dnnl_unimplemented here means this oneDNN has no bf16 matmul for this CPU: worth its
// own line, it is one of the answers the benchmark is for.
static dnnl_primitive_t matmul(dnnl_memory_desc_t a, dnnl_memory_desc_t b, dnnl_memory_desc_t c,
                               dnnl_engine_t engine, char *impl) {
  dnnl_matmul_desc_t desc;
  check(dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c), "dnnl_matmul_desc_init");
  dnnl_primitive_desc_t pd;
  dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL);
  if (st == dnnl_unimplemented) {
    fprintf(stderr, "bench_dnnl: oneDNN has no bf16 matmul on this CPU (effective ISA %s)\n",
            dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
    exit(1);
  }
  check(st, "dnnl_primitive_desc_create (matmul)");
  return primitive(pd, impl);
}

static void dnnl_setup(Bench *x, dnnl_engine_t engine) {
  const Shape *s = x->s;
  dnnl_format_tag_t b_tag = s->trans_b ? dnnl_ba : dnnl_ab;
  dnnl_memory_desc_t a32 = plain(s->m, s->k, dnnl_f32, dnnl_ab);
  dnnl_memory_desc_t a16 = plain(s->m, s->k, dnnl_bf16, dnnl_ab);
  dnnl_memory_desc_t b32 = plain(s->k, s->n, dnnl_f32, b_tag);
  dnnl_memory_desc_t b16 = plain(s->k, s->n, dnnl_bf16, b_tag);
  dnnl_memory_desc_t c = plain(s->m, s->n, dnnl_f32, dnnl_ab);
  x->a32 = memory(a32, engine, x->a);
  x->b32 = memory(b32, engine, x->b);
  x->a16 = memory(a16, engine, DNNL_MEMORY_ALLOCATE);
  x->b16 = memory(b16, engine, DNNL_MEMORY_ALLOCATE);
  x->c_mem = memory(c, engine, x->c);
  x->matmul = matmul(a16, b16, c, engine, x->impl);
  x->to_bf16_a = reorder(a32, a16, engine, x->reorder_impl);
  x->to_bf16_b = reorder(b32, b16, engine, x->reorder_impl);
}

static void dnnl_teardown(Bench *x) {
  dnnl_primitive_t p[] = {x->matmul, x->to_bf16_a, x->to_bf16_b};
  dnnl_memory_t mem[] = {x->a32, x->b32, x->a16, x->b16, x->c_mem};
  for (size_t i = 0; i < sizeof p / sizeof *p; i++) dnnl_primitive_destroy(p[i]);
  for (size_t i = 0; i < sizeof mem / sizeof *mem; i++) dnnl_memory_destroy(mem[i]);
}

// ---- buffers and the check -----------------------------------------------------------

static void fill(float *v, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = 2.0f * (float)(seed >> 8) / 16777216.0f - 1.0f;  // [-1, 1)
  }
}

static float *abs_copy(const float *v, size_t n) {
  float *r = malloc(n * sizeof *r);
  if (r)
    for (size_t i = 0; i < n; i++) r[i] = fabsf(v[i]);
  return r;
}

// sum_p |a_ip||b_pj| into x->abs_sums, by sgemm on |A| and |B|: 0, or -1 out of memory.
static int abs_product_sums(Bench *x) {
  const Shape *s = x->s;
  size_t ka = (size_t)s->m * s->k, kb = (size_t)s->k * s->n;
  float *a = abs_copy(x->a, ka), *b = abs_copy(x->b, kb);
  if (a && b) {
    Bench abs = *x;
    abs.a = a;
    abs.b = b;
    abs.c = x->abs_sums;
    run_sgemm(&abs);
  }
  free(a);
  free(b);
  return a && b ? 0 : -1;
}

// n floats rounded up to whole 64-byte lines.
static size_t whole_lines(size_t n) { return (n + 15) / 16 * 16; }

// A, B, C, vdmc's C and the sums in one block headed by x->a, each on its own 64-byte
// lines as vdmc's tensors are (vdmc_alloc_floats).
static int bench_alloc(Bench *x, const Shape *s) {
  size_t mk = (size_t)s->m * s->k, kn = (size_t)s->k * s->n, mn = (size_t)s->m * s->n;
  *x = (Bench){.s = s};
  size_t floats = whole_lines(mk) + whole_lines(kn) + 3 * whole_lines(mn);
  x->a = aligned_alloc(64, floats * sizeof *x->a);
  if (!x->a) return -1;
  x->b = x->a + whole_lines(mk);
  x->c = x->b + whole_lines(kn);
  x->c_vdmc = x->c + whole_lines(mn);
  x->abs_sums = x->c_vdmc + whole_lines(mn);
  fill(x->a, mk, 1u);
  fill(x->b, kn, 2u);
  return abs_product_sums(x);
}

static void bench_free(Bench *x) { free(x->a); }

// Largest |c - c_vdmc| / sum |a||b| over C after run(x) on a C of NaNs (so an element
// oneDNN did not write fails); NaN if any element is NaN.
static double rel_diff_after(RunFn run, Bench *x) {
  size_t mn = (size_t)x->s->m * x->s->n;
  for (size_t i = 0; i < mn; i++) x->c[i] = NAN;
  run(x);
  double worst = 0;
  for (size_t i = 0; i < mn; i++) {
    double e = fabs((double)x->c[i] - x->c_vdmc[i]) / fmax(x->abs_sums[i], FLT_MIN);
    if (isnan(e) || e > worst) worst = e;
  }
  return worst;
}

// vdmc's product, then both oneDNN variants' against it: the larger difference.
static double check_products(Bench *x) {
  run_vdmc(x);
  run_to_bf16(x);  // the pre-converted variant's operands, once
  double pre = rel_diff_after(run_matmul, x), reo = rel_diff_after(run_reorder_matmul, x);
  return isnan(pre) || pre > reo ? pre : reo;
}

// ---- per shape and the report ----------------------------------------------------------

// Times one shape into r; 0, or 1 after an error line (out of memory, failed check).
static int bench_shape(const Shape *s, dnnl_engine_t engine, dnnl_stream_t stream,
                       double seconds, Result *r, char *impl, char *reorder_impl) {
  Bench x;
  if (bench_alloc(&x, s) != 0) {
    fprintf(stderr, "bench_dnnl: out of memory for %s\n", s->name);
    bench_free(&x);
    return 1;
  }
  x.stream = stream;
  dnnl_setup(&x, engine);
  r->rel_diff = check_products(&x);
  int ok = r->rel_diff <= MAX_REL_DIFF;
  if (!ok) {
    fprintf(stderr, "bench_dnnl: FAILED: %s %d %d %d: oneDNN differs from vdmc by %.3g of "
            "sum |a||b| (limit %g)\n", s->name, s->m, s->n, s->k, r->rel_diff, MAX_REL_DIFF);
  } else {
    r->sgemm = gflops(run_sgemm, &x, seconds);
    r->vdmc = gflops(run_vdmc, &x, seconds);
    r->dnnl = gflops(run_matmul, &x, seconds);
    r->dnnl_reorder = gflops(run_reorder_matmul, &x, seconds);
  }
  snprintf(impl, IMPL_LEN, "%s", x.impl);
  snprintf(reorder_impl, IMPL_LEN, "%s", x.reorder_impl);
  dnnl_teardown(&x);
  bench_free(&x);
  return !ok;
}

static void print_shape(const Shape *s, const Result *r) {
  printf("%-26s %5d %4d %4d: sgemm %6.1f GFLOP/s | vdmc bf16 %6.1f (%.2fx) | oneDNN bf16 "
         "pre-converted %6.1f (%.2fx of vdmc) | oneDNN with reorder %6.1f (%.2fx)\n",
         s->name, s->m, s->n, s->k, r->sgemm, r->vdmc, r->vdmc / r->sgemm, r->dnnl,
         r->dnnl / r->vdmc, r->dnnl_reorder, r->dnnl_reorder / r->vdmc);
  fflush(stdout);
}

// Each distinct name of names[0..n) once, with how many shapes ran it.
static void print_impls(const char *what, char (*names)[IMPL_LEN], int n) {
  printf("%s:", what);
  for (int i = 0; i < n; i++) {
    int count = 0, seen = 0;
    for (int j = 0; j < n; j++) {
      seen |= j < i && !strcmp(names[j], names[i]);
      count += !strcmp(names[j], names[i]);
    }
    if (!seen) printf(" %s (%d shape%s)", names[i], count, count > 1 ? "s" : "");
  }
  printf("\n");
}

static void print_cpu(void) {
  char line[256], model[256] = "unknown";
  FILE *f = fopen("/proc/cpuinfo", "r");
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
      snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
      model[strcspn(model, "\n")] = '\0';
      break;
    }
  if (f) fclose(f);
  printf("cpu: %s\n", model);
}

static void print_setup(double seconds) {
  const dnnl_version_t *v = dnnl_version();
  print_cpu();
  printf("blas: %s; sgemm on 1 thread\n", blas_report_line());
  printf("vdmc: %s, on the calling thread\n", gemm_bf16_path_name(gemm_bf16_path()));
  printf("oneDNN %d.%d.%d: CPU runtime %s, %d thread(s), effective ISA %s\n", v->major,
         v->minor, v->patch, dnnl_runtime2str(v->cpu_runtime), omp_get_max_threads(),
         dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
  printf("GFLOP/s = 2mnk per call, best of 3 runs of >= %.2f s; the ratio after vdmc is "
         "vdmc/sgemm, after oneDNN oneDNN/vdmc\n", seconds);
}

int main(int argc, char **argv) {
  if (blas_select_or_reexec(argc, argv) != VDMC_OK) {
    fprintf(stderr, "bench_dnnl: %s\n", vdmc_error_message());
    return 1;
  }
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  const char *only = argc > 2 ? argv[2] : "";
  if (argc > 3 || seconds <= 0) {
    fprintf(stderr, "usage: OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 bench_dnnl [seconds > 0] "
            "[only: shapes whose name contains it]\n");
    return 2;
  }
  if (gemm_bf16_best() != GEMM_BF16_AVX512) {
    fprintf(stderr, "bench_dnnl: this CPU has no AVX512-BF16, so no vdmc bf16 kernel to "
            "compare oneDNN with\n");
    return 1;
  }
  // One thread for all three: gemm_bf16 runs on the calling thread. Debian's oneDNN
  // sizes its parallel regions by omp_get_max_threads().
  openblas_set_num_threads(1);
  omp_set_num_threads(1);
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create");
  check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
  print_setup(seconds);

  static char impl[N_SHAPES][IMPL_LEN], reorder_impl[N_SHAPES][IMPL_LEN];
  double log_pre = 0, log_reo = 0, worst = 0;
  int n = 0, failed = 0;
  for (int i = 0; i < N_SHAPES && !failed; i++) {
    if (!strstr(SHAPES[i].name, only)) continue;
    Result r;
    failed = bench_shape(&SHAPES[i], engine, stream, seconds, &r, impl[n], reorder_impl[n]);
    if (failed) break;
    print_shape(&SHAPES[i], &r);
    log_pre += log(r.dnnl / r.vdmc);
    log_reo += log(r.dnnl_reorder / r.vdmc);
    worst = fmax(worst, r.rel_diff);
    n++;
  }
  dnnl_stream_destroy(stream);
  dnnl_engine_destroy(engine);
  if (failed) return 1;
  if (n == 0) {
    fprintf(stderr, "bench_dnnl: no shape name contains '%s'\n", only);
    return 2;
  }
  print_impls("oneDNN matmul", impl, n);
  print_impls("oneDNN reorder fp32->bf16", reorder_impl, n);
  printf("check: max |oneDNN - vdmc| / sum |a||b| = %.2e (limit %g)\n", worst, MAX_REL_DIFF);
  printf("geometric mean over %d shapes, oneDNN / vdmc: pre-converted %.2fx, with reorder "
         "(like-for-like) %.2fx\n", n, exp(log_pre / n), exp(log_reo / n));
  return 0;
}
