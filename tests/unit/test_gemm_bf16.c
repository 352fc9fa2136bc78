// gemm_bf16 (ops/gemm_bf16.h), the AVX512-BF16 kernel behind train.precision: bf16:
//  1. the path API on every host: the best path, forcing PORTABLE and back, forcing a
//     kernel the CPU lacks is refused, gemm_bf16_active() only inside a region and only
//     off the PORTABLE path. Without avx512_bf16 the test then exits 77 (ctest: Skipped)
//     with one SKIP line (fails instead under VDMC_REQUIRE_BF16_KERNEL, as .ci/run sets);
//  2. the kernel against a double-precision product of the operands rounded to bf16 in
//     software (core/half_float.h, round to nearest even), element by element within a
//     derived bound (see bound_of): row counts around the 8-row tile, column counts
//     around the 16/32-column tiles and past the NC = 512 column block, depths across
//     the GEMM_BF16_KC = 256 blocks, A and B each row-major or stored transposed,
//     leading dimensions wider than the matrix (C's padding untouched, the operands'
//     padding NaN so reading it shows), (alpha, beta) cycling over (1,0), (1,1),
//     (0.5,0.25), (-2,0); beta = 0 on a NaN-filled C (C not read); k = 0 gives beta C;
//  3. the rounding is really applied, and to nearest even: the results break the bound
//     against the unrounded operands on most elements, and operands whose low 16 bits
//     are above, at and below the halfway point give exactly the RNE reference, not the
//     truncating or ties-away one;
//  4. cut invariance: a product cut by rows or by columns into two calls gives the bits
//     of the whole one (what bit-identical results for any thread count rely on);
//  5. the dispatch: inside a region gemm_strided (cut into blocks, 1 and 2 threads),
//     gemm_rowmajor and gemm_small give the bits of the direct gemm_bf16 call; outside a
//     region, or on the PORTABLE path, gemm_small gives its fp32 result;
//  6. denormals as the instructions specify: a denormal operand counts as zero, a
//     denormal product is flushed to +0 (what the hardware gave is printed);
//  7. A given as bf16 bits (gemm_bf16_a16, and gemm_strided_a16 / gemm_block_a16 in a
//     region, 1 and 2 threads): the bits of gemm_bf16 on A's values as float32, for A
//     row-major and stored transposed, odd depths, more rows than a block of A, bf16
//     denormals in A, the padding's bits NaN.
// The worst error as a fraction of the bound is printed.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/float_bits.h"
#include "core/half_float.h"
#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/gemm_small.h"
#include "ops/parallel.h"

// The operand rounding of the reference: bf16, round to nearest even.
static double rne(float x) { return f32_from_bf16(bf16_from_f32(x)); }
// The roundings the kernel must not do (section 3): truncation and ties away from zero.
static double trunc_bf16(float x) { return float_of(bits_of(x) & 0xffff0000u); }
static double away_bf16(float x) { return float_of((bits_of(x) + 0x8000u) & 0xffff0000u); }
static double unrounded(float x) { return x; }

// The error bound. For one element the kernel computes, in fp32:
//   - per k block of <= 256 products, the sum of the block's products in one
//     accumulator lane (vdpbf16ps is two fp32 FMAs per lane, the SDM says, and a product
//     of two bf16 values is exact in fp32 anyway, 8 x 8 significant bits: each product
//     adds one rounding, k in all);
//   - x = alpha * block sum (one rounding);
//   - first block: C = fma(C0, beta, x) (one rounding; beta = 0 skips it);
//   - each later block: C = fma(C, 1, x) (one rounding per extra block).
// So each term (alpha a~_ip b~_pj, or beta C0_ij) goes through at most
// n = k + 2 + ceil(k / 256) roundings (k adds, alpha, beta, ceil(k / 256) for the
// C updates of the later blocks: one more than they need), and the usual recursive-summation argument (Higham, Accuracy
// and Stability, 3.1 and 4.2, u = 2^-24) gives
//   |C - ref| <= gamma(n) (|alpha| sum_p |a~_ip||b~_pj| + 2 |beta||C0_ij|) + tiny,
//   gamma(n) = n u / (1 - n u),
// the factor 2 on the C0 term a margin. a~, b~ are the operands rounded to bf16 (the
// reference below computes alpha sum_p a~ b~ + beta C0 in double), tiny covers flushing
// to zero (each fp32 operation is off by < 2^-126 when it flushes a denormal result:
// (1 + |alpha|) n 2^-126), and the double reference's own error adds gamma53(k + 2)
// times the same sums (u = 2^-53, products of bf16 values exact in double).
static double gamma_u(double n, double u) { return n * u / (1 - n * u); }
static double rounding_count(size_t k) { return (double)k + 2 + (double)((k + 255) / 256); }
static double bound_of(size_t k, float alpha, float beta, double abs_sum, double c0) {
  const double n = rounding_count(k), terms = fabs(alpha) * abs_sum + 2 * fabs(beta) * fabs(c0);
  return gamma_u(n, 0x1p-24) * terms + gamma_u((double)k + 2, 0x1p-53) * terms +
         (1 + fabs(alpha)) * n * 0x1p-126;
}

// A (m, k) and B (k, n) in one of the four storage layouts, with padding.
typedef struct {
  size_t a_row, a_col, b_row, b_col, a_len, b_len;
  float *A, *B;
} Operands;

static const char *layout_name(int layout) {
  static const char *names[] = {"A B", "A B^T", "A^T B", "A^T B^T"};
  return names[layout];
}

// Stores a (m x k, row-major) and b (k x n, row-major) into the layout: bit 1 A stored
// transposed, bit 0 B stored transposed; leading dimensions wider than the matrix,
// padding NaN (a kernel that read it would spread NaN into C).
static Operands store_operands(const float *a, const float *b, size_t m, size_t n, size_t k,
                               int layout) {
  Operands o;
  const int ta = layout >> 1, tb = layout & 1;
  const size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 5;
  o.a_row = ta ? 1 : lda, o.a_col = ta ? lda : 1;
  o.b_row = tb ? 1 : ldb, o.b_col = tb ? ldb : 1;
  o.a_len = (ta ? k : m) * lda + 1, o.b_len = (tb ? n : k) * ldb + 1;
  o.A = malloc(o.a_len * sizeof(float)), o.B = malloc(o.b_len * sizeof(float));
  for (size_t i = 0; i < o.a_len; i++) o.A[i] = NAN;
  for (size_t i = 0; i < o.b_len; i++) o.B[i] = NAN;
  for (size_t i = 0; i < m; i++)
    for (size_t p = 0; p < k; p++) o.A[i * o.a_row + p * o.a_col] = a[i * k + p];
  for (size_t p = 0; p < k; p++)
    for (size_t j = 0; j < n; j++) o.B[p * o.b_row + j * o.b_col] = b[p * n + j];
  return o;
}

static void free_operands(Operands *o) { free(o->A), free(o->B); }

static void run(const Operands *o, size_t m, size_t n, size_t k, float alpha, float beta, float *C,
                size_t ldc) {
  gemm_bf16(m, n, k, alpha, o->A, o->a_row, o->a_col, o->B, o->b_row, o->b_col, beta, C, ldc);
}

// sum[i n + j] = sum_p r(a_ip) r(b_pj), abs_sum the same of the magnitudes, in double.
static void reference(const float *a, const float *b, size_t m, size_t n, size_t k,
                      double (*r)(float), double *sum, double *abs_sum) {
  double *ad = malloc((m * k + 1) * sizeof *ad), *bt = malloc((n * k + 1) * sizeof *bt);
  for (size_t i = 0; i < m * k; i++) ad[i] = r(a[i]);
  for (size_t p = 0; p < k; p++)
    for (size_t j = 0; j < n; j++) bt[j * k + p] = r(b[p * n + j]);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      const double *x = ad + i * k, *y = bt + j * k;
      double s = 0, t = 0;
      for (size_t p = 0; p < k; p++) s += x[p] * y[p], t += fabs(x[p] * y[p]);
      sum[i * n + j] = s;
      if (abs_sum) abs_sum[i * n + j] = t;
    }
  free(ad), free(bt);
}

static double worst_ratio;  // max |C - ref| / bound over every element checked
static char worst_where[160];
static int n_cases;
static const size_t ks[] = {0, 1, 2, 3, 31, 255, 256, 257, 600};
static double worst_by_k[sizeof ks / sizeof *ks];

// ---- 2. the kernel against the RNE reference -------------------------------------------

static void check_shape(size_t m, size_t n, size_t k, int *cycle) {
  static const float alphas[] = {1, 1, 0.5f, -2}, betas[] = {0, 1, 0.25f, 0};
  float *a = malloc((m * k + 1) * sizeof *a), *b = malloc((k * n + 1) * sizeof *b);
  fill_uniform(a, m * k, (unsigned)(m * 131 + k * 7 + n), -1, 1);
  fill_uniform(b, k * n, (unsigned)(n * 17 + k * 3 + m), -1, 1);
  double *sum = malloc(m * n * sizeof *sum), *abs_sum = malloc(m * n * sizeof *abs_sum);
  reference(a, b, m, n, k, rne, sum, abs_sum);
  const size_t ldc = n + 3;
  float *C = malloc(m * ldc * sizeof *C), *C0 = malloc(m * ldc * sizeof *C0);
  for (int layout = 0; layout < 4; layout++) {
    const int c = (*cycle)++ % 4;
    const float alpha = alphas[c], beta = betas[c];
    Operands o = store_operands(a, b, m, n, k, layout);
    fill_uniform(C0, m * ldc, (unsigned)(m * n + k + (size_t)layout), -1, 1);
    if (beta == 0.0f)  // not read: NaN must not reach the result
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) C0[i * ldc + j] = NAN;
    memcpy(C, C0, m * ldc * sizeof *C);
    run(&o, m, n, k, alpha, beta, C, ldc);
    double worst = 0;
    size_t bad = 0, nonfinite = 0, pad_written = 0, k0_wrong = 0;
    for (size_t i = 0; i < m; i++) {
      for (size_t j = 0; j < n; j++) {
        const float got = C[i * ldc + j];
        const double c0 = beta == 0.0f ? 0.0 : C0[i * ldc + j];
        const double ref = (double)alpha * sum[i * n + j] + (double)beta * c0;
        const double bound = bound_of(k, alpha, beta, abs_sum[i * n + j], c0);
        if (!isfinite(got)) {
          nonfinite++;
          continue;
        }
        const double r = fabs(got - ref) / bound;
        if (r > 1) bad++;
        if (r > worst) worst = r;
        if (k == 0 && bits_of(got) != bits_of(beta == 0.0f ? 0.0f : beta * C0[i * ldc + j]))
          k0_wrong++;
      }
      for (size_t j = n; j < ldc; j++)
        pad_written += bits_of(C[i * ldc + j]) != bits_of(C0[i * ldc + j]);
    }
    CHECK(!bad && !nonfinite,
          "m %zu n %zu k %zu %s alpha %g beta %g: %zu elements beyond the bound (worst %.3g of "
          "it), %zu non-finite", m, n, k, layout_name(layout), alpha, beta, bad, worst, nonfinite);
    CHECK(!pad_written, "m %zu n %zu k %zu %s: %zu of C's padding entries written", m, n, k,
          layout_name(layout), pad_written);
    if (k == 0)
      CHECK(!k0_wrong, "m %zu n %zu k 0 %s beta %g: %zu elements are not beta C", m, n,
            layout_name(layout), beta, k0_wrong);
    for (size_t z = 0; z < sizeof ks / sizeof *ks; z++)
      if (ks[z] == k && worst > worst_by_k[z]) worst_by_k[z] = worst;
    if (worst > worst_ratio) {
      worst_ratio = worst;
      snprintf(worst_where, sizeof worst_where, "m %zu n %zu k %zu %s alpha %g beta %g", m, n, k,
               layout_name(layout), alpha, beta);
    }
    n_cases++;
    free_operands(&o);
  }
  free(a), free(b), free(sum), free(abs_sum), free(C), free(C0);
}

static void check_shapes(void) {
  const size_t ms[] = {1, 2, 7, 8, 9, 17, 50};
  const size_t ns[] = {1, 15, 16, 17, 31, 32, 33, 65, 530};
  int cycle = 0;
  for (size_t x = 0; x < sizeof ms / sizeof *ms; x++)
    for (size_t y = 0; y < sizeof ns / sizeof *ns; y++)
      for (size_t z = 0; z < sizeof ks / sizeof *ks; z++) check_shape(ms[x], ns[y], ks[z], &cycle);
}

// ---- 3. the rounding is applied, to nearest even ----------------------------------------

// Random operands (not bf16 values): the kernel's results must be off the product of the
// unrounded operands by more than the fp32 bound on most elements (the bf16 rounding
// makes the difference); they stay within the bound of the RNE reference (section 2).
static void check_rounding_applied(void) {
  const size_t m = 16, n = 48, k = 64, ldc = n;
  float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
  float *C = malloc(m * n * sizeof *C);
  double *exact = malloc(m * n * sizeof *exact), *abs_exact = malloc(m * n * sizeof *abs_exact);
  double *sum = malloc(m * n * sizeof *sum), *abs_sum = malloc(m * n * sizeof *abs_sum);
  fill_uniform(a, m * k, 71, -1, 1);
  fill_uniform(b, k * n, 72, -1, 1);
  reference(a, b, m, n, k, rne, sum, abs_sum);
  reference(a, b, m, n, k, unrounded, exact, abs_exact);
  for (int layout = 0; layout < 4; layout++) {
    Operands o = store_operands(a, b, m, n, k, layout);
    run(&o, m, n, k, 1.0f, 0.0f, C, ldc);
    size_t off_unrounded = 0, off_rne = 0;
    for (size_t i = 0; i < m * n; i++) {
      off_unrounded += fabs(C[i] - exact[i]) > bound_of(k, 1, 0, abs_exact[i], 0);
      off_rne += !(fabs(C[i] - sum[i]) <= bound_of(k, 1, 0, abs_sum[i], 0));
    }
    CHECK(off_unrounded >= m * n * 9 / 10,
          "%s: only %zu of %zu elements break the fp32 bound of the unrounded product "
          "(operands not rounded to bf16?)", layout_name(layout), off_unrounded, m * n);
    CHECK(!off_rne, "%s: %zu elements beyond the bound of the RNE reference", layout_name(layout),
          off_rne);
    free_operands(&o);
  }
  free(a), free(b), free(C), free(exact), free(abs_exact), free(sum), free(abs_sum);
}

// One operand from values whose low 16 bits are above (1 + 3 2^-9: RNE up, truncation
// down), exactly at (1 + 2^-8: even is down; 1 + 3 2^-8: even is up) and below
// (1 + 2^-9) the halfway point, both signs; the other from small powers of two (bf16
// values). Every product and sum is then exact in fp32 and in double: the kernel must
// give the RNE reference exactly, and so differ from the truncating and the
// ties-away-from-zero references where those differ.
static void check_round_to_nearest_even(void) {
  static const float tricky[] = {1 + 0x3p-9f,  -(1 + 0x3p-9f), 1 + 0x1p-8f,  -(1 + 0x1p-8f),
                                 1 + 0x3p-8f,  -(1 + 0x3p-8f), 1 + 0x1p-9f,  0.5f + 0x3p-10f,
                                 2 + 0x3p-7f,  1.25f + 0x1p-20f};
  static const float exact[] = {1, -1, 2, 0.5f, -2, 0.25f, 1, -0.5f};
  const size_t m = 9, n = 37, k = 11, ldc = n + 1;
  const int nt = sizeof tricky / sizeof *tricky, ne = sizeof exact / sizeof *exact;
  float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b);
  float *C = malloc(m * ldc * sizeof *C);
  double *ref[3];
  double (*const modes[3])(float) = {rne, trunc_bf16, away_bf16};
  for (int r = 0; r < 3; r++) ref[r] = malloc(m * n * sizeof(double));
  for (int tricky_in_a = 1; tricky_in_a >= 0; tricky_in_a--) {
    for (size_t i = 0; i < m; i++)
      for (size_t p = 0; p < k; p++)
        a[i * k + p] = tricky_in_a ? tricky[(i * 3 + p * 7) % nt] : exact[(i * 5 + p * 3) % ne];
    for (size_t p = 0; p < k; p++)
      for (size_t j = 0; j < n; j++)
        b[p * n + j] = tricky_in_a ? exact[(p * 3 + j * 5) % ne] : tricky[(p * 7 + j * 3) % nt];
    for (int r = 0; r < 3; r++) reference(a, b, m, n, k, modes[r], ref[r], NULL);
    size_t trunc_differs = 0, away_differs = 0;
    for (size_t i = 0; i < m * n; i++)
      trunc_differs += ref[1][i] != ref[0][i], away_differs += ref[2][i] != ref[0][i];
    CHECK(trunc_differs > m * n / 2 && away_differs > m * n / 4,
          "test data: truncation differs on %zu, ties-away on %zu of %zu elements",
          trunc_differs, away_differs, m * n);
    for (int layout = 0; layout < 4; layout++) {
      Operands o = store_operands(a, b, m, n, k, layout);
      run(&o, m, n, k, 1.0f, 0.0f, C, ldc);
      size_t match[3] = {0, 0, 0};
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
          for (int r = 0; r < 3; r++) match[r] += (double)C[i * ldc + j] == ref[r][i * n + j];
      CHECK(match[0] == m * n && match[1] == m * n - trunc_differs &&
                match[2] == m * n - away_differs,
            "tricky values in %s, %s: matches the RNE reference on %zu, the truncating one on %zu, "
            "the ties-away one on %zu of %zu elements", tricky_in_a ? "A" : "B",
            layout_name(layout), match[0], match[1], match[2], m * n);
      free_operands(&o);
    }
  }
  for (int r = 0; r < 3; r++) free(ref[r]);
  free(a), free(b), free(C);
}

// Random operands a (m, k), b (k, n) and a start C0 (m, ldc) with `copies` result
// buffers (the products a check compares), seeds seed, seed + 1, seed + 2.
typedef struct {
  float *a, *b, *C0, *C[4];
  size_t len;  // floats of C0 and each C
  int copies;
} Problem;

static Problem problem_new(size_t m, size_t n, size_t k, size_t ldc, int copies, unsigned seed) {
  Problem p = {malloc(m * k * sizeof(float)), malloc(k * n * sizeof(float)),
               malloc(m * ldc * sizeof(float)), {NULL}, m * ldc, copies};
  for (int v = 0; v < copies; v++) p.C[v] = malloc(p.len * sizeof(float));
  fill_uniform(p.a, m * k, seed, -1, 1);
  fill_uniform(p.b, k * n, seed + 1, -1, 1);
  fill_uniform(p.C0, p.len, seed + 2, -1, 1);
  return p;
}

// Every result buffer back to C0.
static void problem_restart(Problem *p) {
  for (int v = 0; v < p->copies; v++) memcpy(p->C[v], p->C0, p->len * sizeof(float));
}

static void problem_free(Problem *p) {
  free(p->a), free(p->b), free(p->C0);
  for (int v = 0; v < p->copies; v++) free(p->C[v]);
}

// ---- 4. cut invariance -----------------------------------------------------------------

static void check_cuts(void) {
  const size_t m = 50, n = 70, k = 600, ldc = n + 2, rows = 17, cols = 33;
  Problem p = problem_new(m, n, k, ldc, 3, 81);
  float **C = p.C;
  for (int layout = 0; layout < 4; layout++) {
    Operands o = store_operands(p.a, p.b, m, n, k, layout);
    for (int beta = 0; beta < 2; beta++) {
      problem_restart(&p);
      run(&o, m, n, k, 1.0f, (float)beta, C[0], ldc);
      // rows [0, 17) and [17, 50)
      gemm_bf16(rows, n, k, 1.0f, o.A, o.a_row, o.a_col, o.B, o.b_row, o.b_col, (float)beta,
                C[1], ldc);
      gemm_bf16(m - rows, n, k, 1.0f, o.A + rows * o.a_row, o.a_row, o.a_col, o.B, o.b_row,
                o.b_col, (float)beta, C[1] + rows * ldc, ldc);
      // columns [0, 33) and [33, 70)
      gemm_bf16(m, cols, k, 1.0f, o.A, o.a_row, o.a_col, o.B, o.b_row, o.b_col, (float)beta,
                C[2], ldc);
      gemm_bf16(m, n - cols, k, 1.0f, o.A, o.a_row, o.a_col, o.B + cols * o.b_col, o.b_row,
                o.b_col, (float)beta, C[2] + cols, ldc);
      CHECK(!memcmp(C[0], C[1], m * ldc * sizeof(float)),
            "%s beta %d: rows [0,%zu) + [%zu,%zu) in two calls differ from the whole product",
            layout_name(layout), beta, rows, rows, m);
      CHECK(!memcmp(C[0], C[2], m * ldc * sizeof(float)),
            "%s beta %d: columns [0,%zu) + [%zu,%zu) in two calls differ from the whole product",
            layout_name(layout), beta, cols, cols, n);
    }
    free_operands(&o);
  }
  problem_free(&p);
}

// ---- 5. through the dispatch ------------------------------------------------------------

static size_t count_differing(const float *x, const float *y, size_t len) {
  size_t d = 0;
  for (size_t i = 0; i < len; i++) d += bits_of(x[i]) != bits_of(y[i]);
  return d;
}

// gemm_strided cuts m = 300 into 4 row blocks (GEMM_ROW_ALIGN = 48) whatever the thread
// count; each block goes through gemm_block to gemm_bf16.
static void check_gemm_strided(void) {
  const size_t m = 300, n = 200, k = 300, ldc = n + 4;
  const float alpha = 0.5f, beta = 1.0f;
  Problem p = problem_new(m, n, k, ldc, 4, 91);
  float *a = p.a, *b = p.b, **C = p.C;
  for (int layout = 0; layout < 4; layout++) {
    const int ta = layout >> 1, tb = layout & 1;
    Operands o = store_operands(a, b, m, n, k, layout);
    const size_t lda = ta ? o.a_col : o.a_row, ldb = tb ? o.b_col : o.b_row;
    problem_restart(&p);
    gemm_bf16_region_begin();
    for (int t = 1; t <= 2; t++) {
      par_set_threads(t);
      gemm_strided(ta, tb, m, n, k, alpha, o.A, lda, o.B, ldb, beta, C[t - 1], ldc);
    }
    gemm_bf16_region_end();
    par_set_threads(0);
    run(&o, m, n, k, alpha, beta, C[2], ldc);
    gemm_strided(ta, tb, m, n, k, alpha, o.A, lda, o.B, ldb, beta, C[3], ldc);  // fp32 (OpenBLAS)
    CHECK(!memcmp(C[0], C[1], m * ldc * sizeof(float)),
          "gemm_strided %s in a region: 1 and 2 threads differ", layout_name(layout));
    CHECK(!memcmp(C[0], C[2], m * ldc * sizeof(float)),
          "gemm_strided %s in a region differs from the direct gemm_bf16 call (%zu elements)",
          layout_name(layout), count_differing(C[0], C[2], m * ldc));
    CHECK(count_differing(C[2], C[3], m * ldc) > m * n / 2,
          "gemm_strided %s outside a region: only %zu elements differ from the bf16 result",
          layout_name(layout), count_differing(C[2], C[3], m * ldc));
    free_operands(&o);
  }
  // gemm_rowmajor (A B, beta 0) goes the same way
  for (int v = 0; v < 2; v++) memset(C[v], 0, m * n * sizeof(float));
  gemm_bf16_region_begin();
  gemm_rowmajor(0, 0, m, n, k, a, b, 0.0f, C[0]);
  gemm_bf16_region_end();
  gemm_bf16(m, n, k, 1.0f, a, k, 1, b, n, 1, 0.0f, C[1], n);
  CHECK(!memcmp(C[0], C[1], m * n * sizeof(float)),
        "gemm_rowmajor in a region differs from the direct gemm_bf16 call");
  problem_free(&p);
}

static void check_gemm_small(void) {
  const size_t m = 29, n = 71, k = 600, ldc = n + 3;
  Problem p = problem_new(m, n, k, ldc, 4, 101);
  const float *a = p.a, *b = p.b, *C0 = p.C0;
  float **C = p.C;
  for (int ta = 0; ta < 2; ta++) {
    Operands o = store_operands(a, b, m, n, k, ta << 1);  // B row-major, ldb = n + 5
    for (int acc = 0; acc < 2; acc++) {
      problem_restart(&p);
      gemm_bf16_region_begin();
      gemm_small(m, n, k, o.A, o.a_row, o.a_col, o.B, o.b_row, acc, C[0], ldc);
      gemm_bf16_region_end();
      gemm_bf16(m, n, k, 1.0f, o.A, o.a_row, o.a_col, o.B, o.b_row, 1, acc ? 1.0f : 0.0f, C[1],
                ldc);
      gemm_small(m, n, k, o.A, o.a_row, o.a_col, o.B, o.b_row, acc, C[2], ldc);  // fp32
      CHECK(gemm_bf16_force(GEMM_BF16_PORTABLE) == 0, "force portable");
      gemm_bf16_region_begin();
      gemm_small(m, n, k, o.A, o.a_row, o.a_col, o.B, o.b_row, acc, C[3], ldc);  // fp32 again
      gemm_bf16_region_end();
      CHECK(gemm_bf16_force(GEMM_BF16_BEST) == 0, "force best");
      CHECK(!memcmp(C[0], C[1], m * ldc * sizeof(float)),
            "gemm_small %s accumulate %d in a region differs from the direct gemm_bf16 call",
            ta ? "A^T" : "A", acc);
      CHECK(!memcmp(C[2], C[3], m * ldc * sizeof(float)),
            "gemm_small %s accumulate %d: a region on the PORTABLE path changed its result",
            ta ? "A^T" : "A", acc);
      CHECK(count_differing(C[1], C[2], m * ldc) > m * n / 2,
            "gemm_small %s accumulate %d outside a region: only %zu elements differ from bf16",
            ta ? "A^T" : "A", acc, count_differing(C[1], C[2], m * ldc));
      // outside the region: the fp32 kernel on the unrounded operands (one FMA per
      // product, k + 1 roundings with the accumulate)
      size_t bad = 0;
      for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
          double s = acc ? C0[i * ldc + j] : 0, t = fabs(s);
          for (size_t q = 0; q < k; q++) {
            const double x = (double)a[i * k + q] * b[q * n + j];
            s += x, t += fabs(x);
          }
          bad += fabs(C[2][i * ldc + j] - s) > gamma_u((double)k + 1, 0x1p-24) * t * 1.01;
        }
      CHECK(!bad, "gemm_small %s accumulate %d outside a region: %zu elements beyond the fp32 "
            "bound", ta ? "A^T" : "A", acc, bad);
    }
    free_operands(&o);
  }
  problem_free(&p);
}

// B packed once (gemm_bf16_pack) and used by gemm_bf16_packed: the bits of gemm_bf16 on
// that B, for each storage layout, over k and n past one block (KC, NC = 512) and odd.
static void check_packed_b(void) {
  const size_t shapes[][3] = {{37, 530, 600}, {9, 33, 257}, {64, 64, 1}, {5, 1030, 31}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ldc = n + 1;
    Problem p = problem_new(m, n, k, ldc, 2, 111 + (unsigned)s);
    for (int layout = 0; layout < 4; layout++) {
      Operands o = store_operands(p.a, p.b, m, n, k, layout);
      const size_t words = gemm_bf16_pack(NULL, k, n, o.B, o.b_row, o.b_col);
      uint32_t *packed = aligned_alloc(64, (words * sizeof(uint32_t) + 63) / 64 * 64);
      CHECK(packed != NULL, "packed B buffer");
      CHECK(gemm_bf16_pack(packed, k, n, o.B, o.b_row, o.b_col) == words, "packed words");
      for (int beta = 0; beta < 2; beta++) {
        problem_restart(&p);
        run(&o, m, n, k, 0.75f, (float)beta, p.C[0], ldc);
        gemm_bf16_packed(m, n, k, 0.75f, o.A, o.a_row, o.a_col, packed, (float)beta, p.C[1], ldc);
        CHECK(!memcmp(p.C[0], p.C[1], p.len * sizeof(float)),
              "m %zu n %zu k %zu %s beta %d: B packed once differs from gemm_bf16 (%zu elements)",
              m, n, k, layout_name(layout), beta, count_differing(p.C[0], p.C[1], p.len));
      }
      free(packed);
      free_operands(&o);
    }
    problem_free(&p);
  }
}

// ---- 6. denormals -----------------------------------------------------------------------

// m = n = 1, k = 3: A = (d, 0.5, 0.25), B = (2^100, 2^-33, 2^-33) (or the same with A and
// B swapped): without flushing, bf16(1e-40) 2^100 = 2^-33 would show next to 0.75 2^-33.
static float one_element(int layout, const float *a, const float *b, size_t k) {
  Operands o = store_operands(a, b, 1, 1, k, layout);
  float c = NAN;
  run(&o, 1, 1, k, 1.0f, 0.0f, &c, 1);
  free_operands(&o);
  return c;
}

static void check_denormals(void) {
  const float small[3] = {1e-40f, 0.5f, 0.25f}, big[3] = {0x1p100f, 0x1p-33f, 0x1p-33f};
  const float zero[3] = {0.0f, 0.5f, 0.25f};
  for (int in_b = 0; in_b < 2; in_b++)
    for (int layout = 0; layout < 4; layout++) {
      const float with =
          in_b ? one_element(layout, big, small, 3) : one_element(layout, small, big, 3);
      const float without =
          in_b ? one_element(layout, big, zero, 3) : one_element(layout, zero, big, 3);
      if (layout == 0)
        printf("gemm_bf16: a denormal 1e-40 in %s: %a (with 0 there: %a, unflushed would be %a)\n",
               in_b ? "B" : "A", with, without, 0x1.cp-33);
      CHECK(bits_of(with) == bits_of(without),
            "%s: a denormal operand in %s gives %a, with 0 there %a (denormal inputs are zero)",
            layout_name(layout), in_b ? "B" : "A", with, without);
    }
  const float x = 0x1p-70f;
  for (int layout = 0; layout < 4; layout++) {
    const float c = one_element(layout, &x, &x, 1);
    if (layout == 0) printf("gemm_bf16: 2^-70 * 2^-70 (exactly 2^-140, a denormal) gives %a\n", c);
    CHECK(bits_of(c) == 0, "%s: 2^-70 * 2^-70 gives %a, not +0 (denormal results flushed)",
          layout_name(layout), c);
  }
  // Information only: a denormal product in one pair with a normal one. The SDM's
  // vdpbf16ps is two fp32 FMAs per lane (DAZ in, FTZ out), the odd k first: a denormal
  // product is kept when the FMA that adds it has a normal result (2^-120 + 2^-140 for
  // p = 0 denormal), and lost when its FMA comes first (2^-120 for p = 1 denormal).
  const float lo_tiny[2] = {0x1p-70f, 0x1p-60f}, hi_tiny[2] = {0x1p-60f, 0x1p-70f};
  printf("gemm_bf16: 2^-140 (k = 0) + 2^-120 (k = 1) in one pair gives %a, the other order %a "
         "(the SDM's FMA order: %a, %a)\n", one_element(0, lo_tiny, lo_tiny, 2),
         one_element(0, hi_tiny, hi_tiny, 2), 0x1.00001p-120, 0x1p-120);
}

// ---- 7. A as bf16 bits --------------------------------------------------------------------

// The bf16 bits of A's stored values (padding included: NaN there stays NaN).
static uint16_t *bits_of_a(const Operands *o) {
  uint16_t *h = malloc(o->a_len * sizeof *h);
  for (size_t i = 0; i < o->a_len; i++) h[i] = bf16_from_f32(o->A[i]);
  return h;
}

static void check_a_bits(void) {
  const size_t shapes[][3] = {{37, 530, 600}, {130, 33, 257}, {9, 64, 1}, {300, 17, 31}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ldc = n + 1;
    Problem p = problem_new(m, n, k, ldc, 4, 131 + (unsigned)s);
    for (size_t i = 0; i < m * k; i += 7) p.a[i] = 1e-40f * (float)(1 + i % 3);  // bf16 denormals
    for (size_t i = 0; i < m * k; i++) p.a[i] = f32_from_bf16(bf16_from_f32(p.a[i]));
    for (int layout = 0; layout < 4; layout++) {
      const int ta = layout >> 1, tb = layout & 1;
      Operands o = store_operands(p.a, p.b, m, n, k, layout);
      uint16_t *h = bits_of_a(&o);
      const size_t lda = ta ? o.a_col : o.a_row, ldb = tb ? o.b_col : o.b_row;
      for (int beta = 0; beta < 2; beta++) {
        problem_restart(&p);
        run(&o, m, n, k, 0.75f, (float)beta, p.C[0], ldc);
        gemm_bf16_a16(m, n, k, 0.75f, h, o.a_row, o.a_col, o.B, o.b_row, o.b_col, (float)beta,
                      p.C[1], ldc);
        gemm_bf16_region_begin();
        for (int t = 1; t <= 2; t++) {
          par_set_threads(t);
          gemm_strided_a16(ta, tb, m, n, k, 0.75f, h, lda, o.B, ldb, (float)beta, p.C[1 + t], ldc);
        }
        par_set_threads(0);
        gemm_bf16_region_end();
        for (int v = 1; v < 4; v++)
          CHECK(!memcmp(p.C[0], p.C[v], p.len * sizeof(float)),
                "m %zu n %zu k %zu %s beta %d: A as bf16 bits (%s) differs from A as float32 "
                "(%zu elements)", m, n, k, layout_name(layout), beta,
                v == 1 ? "gemm_bf16_a16" : v == 2 ? "gemm_strided_a16, 1 thread"
                                                  : "gemm_strided_a16, 2 threads",
                count_differing(p.C[0], p.C[v], p.len));
      }
      problem_restart(&p);
      gemm_bf16_region_begin();
      gemm_block_a16(ta, tb, m, n, k, 1.0f, h, lda, o.B, ldb, 0.0f, p.C[1], ldc);
      gemm_bf16_region_end();
      run(&o, m, n, k, 1.0f, 0.0f, p.C[0], ldc);
      CHECK(!memcmp(p.C[0], p.C[1], p.len * sizeof(float)),
            "m %zu n %zu k %zu %s: gemm_block_a16 differs from gemm_bf16", m, n, k,
            layout_name(layout));
      free(h);
      free_operands(&o);
    }
    problem_free(&p);
  }
}

// ---- 1. the path API ---------------------------------------------------------------------

static void check_path_api(GemmBf16Path best) {
  CHECK(gemm_bf16_path() == best, "the path starts at the best (%s)",
        gemm_bf16_path_name(gemm_bf16_path()));
  CHECK(!gemm_bf16_active(), "not active outside a region");
  for (int path = best; path >= GEMM_BF16_PORTABLE; path--) {
    CHECK(gemm_bf16_force((GemmBf16Path)path) == 0, "force %s", gemm_bf16_path_name(path));
    CHECK(gemm_bf16_path() == (GemmBf16Path)path, "%s selected", gemm_bf16_path_name(path));
    CHECK(!gemm_bf16_active(), "%s: not active outside a region", gemm_bf16_path_name(path));
    gemm_bf16_region_begin();
    CHECK(gemm_bf16_active() == (path != GEMM_BF16_PORTABLE), "%s: active in a region is %d",
          gemm_bf16_path_name(path), gemm_bf16_active());
    gemm_bf16_region_end();
    CHECK(!gemm_bf16_active(), "%s: not active after the region", gemm_bf16_path_name(path));
  }
  // PORTABLE forced now
  CHECK(gemm_bf16_path() == GEMM_BF16_PORTABLE, "portable forced");
  gemm_bf16_region_begin();
  CHECK(!gemm_bf16_active(), "portable forced: not active in a region");
  gemm_bf16_region_end();
  if (best == GEMM_BF16_PORTABLE) {
    CHECK(gemm_bf16_force(GEMM_BF16_AVX512) == -1 && gemm_bf16_path() == GEMM_BF16_PORTABLE,
          "forcing the AVX512-BF16 kernel the CPU lacks is refused");
  } else {
    CHECK(gemm_bf16_force(GEMM_BF16_AVX512) == 0 && gemm_bf16_path() == GEMM_BF16_AVX512,
          "forcing the AVX512-BF16 kernel back from portable");
  }
  CHECK(gemm_bf16_force(GEMM_BF16_BEST) == 0 && gemm_bf16_path() == best, "back to the best");
  gemm_bf16_region_begin();
  CHECK(gemm_bf16_active() == (best != GEMM_BF16_PORTABLE), "best: active in a region is %d",
        gemm_bf16_active());
  gemm_bf16_region_end();
  CHECK(!gemm_bf16_active(), "best: not active after the region");
}

int main(void) {
  const GemmBf16Path best = gemm_bf16_best();
  printf("gemm_bf16: this CPU runs the %s\n", gemm_bf16_path_name(best));
  check_path_api(best);
  if (best == GEMM_BF16_PORTABLE) {
    const int status = check_finish("gemm_bf16");
    if (status) return status;
    if (getenv("VDMC_REQUIRE_BF16_KERNEL")) {  // CI (.ci/run): the kernel must be tested
      printf("unit.gemm_bf16: FAIL the AVX512-BF16 kernel cannot run: this CPU lacks "
             "avx512_bf16 and VDMC_REQUIRE_BF16_KERNEL is set\n");
      return 1;
    }
    printf("unit.gemm_bf16: SKIP the AVX512-BF16 kernel: this CPU lacks avx512_bf16\n");
    return 77;
  }
  check_shapes();
  check_rounding_applied();
  check_round_to_nearest_even();
  check_cuts();
  check_gemm_strided();
  check_gemm_small();
  check_packed_b();
  check_denormals();
  check_a_bits();
  printf("gemm_bf16: worst |C - ref| / bound %.4f over %d cases (at %s); by k:", worst_ratio,
         n_cases, worst_where);
  for (size_t z = 0; z < sizeof ks / sizeof *ks; z++) printf(" %zu: %.3g", ks[z], worst_by_k[z]);
  printf("\n");
  return check_finish("gemm_bf16");
}
