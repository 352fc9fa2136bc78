// The kernel behind gemm_bf16 (gemm_bf16.h); only gemm_bf16.c calls it, after checking
// that the CPU has its instructions.
#ifndef VDMC_OPS_GEMM_BF16_KERNEL_H
#define VDMC_OPS_GEMM_BF16_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "ops/gemm_bf16.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_BF16_X86 1
#else
#define GEMM_BF16_X86 0
#endif

#if GEMM_BF16_X86
// gemm_bf16's arguments (gemm_bf16_avx512.c).
void gemm_bf16_avx512(size_t m, size_t n, size_t k, float alpha, const float *A, size_t a_row,
                      size_t a_col, const float *B, size_t b_row, size_t b_col, float beta,
                      float *C, size_t ldc);
// gemm_bf16_a16's arguments.
void gemm_bf16_avx512_a16(size_t m, size_t n, size_t k, float alpha, const uint16_t *A,
                          size_t a_row, size_t a_col, const float *B, size_t b_row, size_t b_col,
                          float beta, float *C, size_t ldc);
// gemm_bf16_pack and gemm_bf16_packed.
size_t gemm_bf16_avx512_pack(uint32_t *dst, size_t k, size_t n, const float *B, size_t b_row,
                             size_t b_col);
void gemm_bf16_avx512_packed(size_t m, size_t n, size_t k, float alpha, const float *A,
                             size_t a_row, size_t a_col, const uint32_t *Bp, float beta, float *C,
                             size_t ldc);
#endif

#endif
