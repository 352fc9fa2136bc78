// OpenBLAS cblas_sgemm behind the row-major wrappers of gemm.h, cut into blocks for
// the pool's threads; inside a bf16 region, the AVX512-BF16 kernel (ops/gemm_bf16.h),
// which alone also takes A as bf16 bits.
#include "ops/gemm.h"

#include <cblas.h>
#include <stdint.h>

#include "core/status.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

// Blocks per product: at most GEMM_MAX_BLOCKS (a power of 2, so 1, 2 and 4 threads
// get equal shares), each of at least GEMM_MIN_BLOCK_MACS multiply-adds (~50 us) and
// GEMM_ROW_ALIGN rows or GEMM_COL_UNIT columns. Single-threaded sgemm loses 5-20% on a
// product cut into 8 blocks against 1 or 2 (packing repeats per call).
enum { GEMM_MAX_BLOCKS = 4, GEMM_COL_UNIT = 16 };
#define GEMM_MIN_BLOCK_MACS ((size_t)1 << 21)

// One product on the calling thread, A as float32 (A) or as bf16 bits (A16, the kernel's
// only: gemm_block_a16 checks).
static void product(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                    const float *A, const uint16_t *A16, size_t lda, const float *B, size_t ldb,
                    float beta, float *C, size_t ldc) {
  if (!m || !n) return;
  const size_t a_row = trans_a ? 1 : lda, a_col = trans_a ? lda : 1;
  const size_t b_row = trans_b ? 1 : ldb, b_col = trans_b ? ldb : 1;
  if (A16) {
    gemm_bf16_a16(m, n, k, alpha, A16, a_row, a_col, B, b_row, b_col, beta, C, ldc);
    return;
  }
  if (gemm_bf16_active()) {  // a bf16 product op's operands (ops/gemm_bf16.h)
    gemm_bf16(m, n, k, alpha, A, a_row, a_col, B, b_row, b_col, beta, C, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, A, (int)lda,
              B, (int)ldb, beta, C, (int)ldc);
}

void gemm_block(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                size_t ldc) {
  product(trans_a, trans_b, m, n, k, alpha, A, NULL, lda, B, ldb, beta, C, ldc);
}

// bf16 bits reach only the kernel: anything else is a bug in vdmc, not bad input.
static void need_bf16_kernel(void) {
  if (!gemm_bf16_active()) vdmc_internal_abort("a bf16-bits operand outside the bf16 kernel");
}

void gemm_block_a16(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                    const uint16_t *A, size_t lda, const float *B, size_t ldb, float beta,
                    float *C, size_t ldc) {
  need_bf16_kernel();
  product(trans_a, trans_b, m, n, k, alpha, NULL, A, lda, B, ldb, beta, C, ldc);
}

typedef struct {
  int trans_a, trans_b, by_rows;
  size_t m, n, k, lda, ldb, ldc, unit, units, blocks;
  float alpha, beta;
  const float *A, *B;
  const uint16_t *A16;  // A as bf16 bits instead (A NULL)
  float *C;
} GemmJob;

// Blocks [lo, hi): block i holds units [units*i/blocks, units*(i+1)/blocks) of `unit`
// rows (by_rows) or columns of C.
static void gemm_blocks(void *ctx, size_t lo, size_t hi) {
  const GemmJob *g = ctx;
  const size_t len = g->by_rows ? g->m : g->n;
  for (size_t i = lo; i < hi; i++) {
    size_t a = g->units * i / g->blocks * g->unit, b = g->units * (i + 1) / g->blocks * g->unit;
    if (b > len) b = len;
    if (g->by_rows) {  // rows a..b of op(A) and C
      const size_t at = g->trans_a ? a : a * g->lda;
      product(g->trans_a, g->trans_b, b - a, g->n, g->k, g->alpha, g->A ? g->A + at : NULL,
              g->A16 ? g->A16 + at : NULL, g->lda, g->B, g->ldb, g->beta, g->C + a * g->ldc,
              g->ldc);
    } else {  // columns a..b of op(B) and C
      const float *B = g->B + (g->trans_b ? a * g->ldb : a);
      product(g->trans_a, g->trans_b, g->m, b - a, g->k, g->alpha, g->A, g->A16, g->lda, B,
              g->ldb, g->beta, g->C + a, g->ldc);
    }
  }
}

// Cut the larger dimension: each block then repacks only the smaller operand.
static void products(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                     const float *A, const uint16_t *A16, size_t lda, const float *B, size_t ldb,
                     float beta, float *C, size_t ldc) {
  GemmJob g = {trans_a, trans_b, m >= n, m, n, k, lda, ldb, ldc, 0, 0, 1, alpha, beta, A, B, A16,
               C};
  const size_t len = g.by_rows ? m : n, macs = m * n * k;
  g.unit = g.by_rows ? GEMM_ROW_ALIGN : GEMM_COL_UNIT;
  g.units = (len + g.unit - 1) / g.unit;
  while (g.blocks < GEMM_MAX_BLOCKS && g.blocks * 2 <= g.units &&
         macs / (g.blocks * 2) >= GEMM_MIN_BLOCK_MACS)
    g.blocks *= 2;
  par_for(g.blocks, 1, g.blocks > 1 ? PAR_MIN_WORK : 0, gemm_blocks, &g);
}

void gemm_strided(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc) {
  products(trans_a, trans_b, m, n, k, alpha, A, NULL, lda, B, ldb, beta, C, ldc);
}

void gemm_strided_a16(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                      const uint16_t *A, size_t lda, const float *B, size_t ldb, float beta,
                      float *C, size_t ldc) {
  need_bf16_kernel();
  products(trans_a, trans_b, m, n, k, alpha, NULL, A, lda, B, ldb, beta, C, ldc);
}

void gemm_rowmajor(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *A,
                   const float *B, float beta, float *C) {
  gemm_strided(trans_a, trans_b, m, n, k, 1.0f, A, trans_a ? m : k, B, trans_b ? k : n, beta, C,
               n);
}
