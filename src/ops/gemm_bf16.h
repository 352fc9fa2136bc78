// GEMM with bf16 operands and fp32 accumulation on CPUs with AVX512-BF16 (vdpbf16ps):
// the fast kernel behind train.precision: bf16 (docs/precision.md, "The AVX512-BF16
// kernel"). The product ops (linear, conv2d) run their fp32 code on operands that
// ops/bf16_products.c rounded to bf16; while it marks such a region
// (gemm_bf16_region_begin/end), gemm_block and gemm_small hand their products to
// gemm_bf16 when the CPU has the instruction. There an operand that is a bf16 value
// already is converted exactly, one that is not (Winograd's transformed tiles) is
// rounded to nearest even, and every product is summed in fp32 as the instruction does:
// pairs of products per lane, denormal operands and results flushed to zero. So the
// result is the portable path's up to the order of the fp32 sums and denormals; the
// tests compare the two with the derived bound, not bit for bit.
// Each element of C sums its k products in the same order whatever the thread count
// and however callers cut m or n (k is cut in fixed GEMM_BF16_KC blocks).
#ifndef VDMC_OPS_GEMM_BF16_H
#define VDMC_OPS_GEMM_BF16_H

#include <stddef.h>
#include <stdint.h>

// Products per k block: C is updated once per block (fp32), the block's pairs summed in
// the accumulators.
enum { GEMM_BF16_KC = 256 };

typedef enum {
  GEMM_BF16_PORTABLE = 0,  // the fp32 kernels on the operands as given
  GEMM_BF16_AVX512 = 1,    // vdpbf16ps, 8x32 register tile on packed bf16 pairs
  GEMM_BF16_BEST = 2       // for gemm_bf16_force: back to the detected one
} GemmBf16Path;

// The widest path this CPU (and its OS) runs: AVX512-BF16 needs AVX512F, AVX512BW and
// the bf16 instructions (cpuid 7.1 EAX bit 5).
GemmBf16Path gemm_bf16_best(void);
// The path bf16 regions take now.
GemmBf16Path gemm_bf16_path(void);
// Makes later regions take `path` (tests and benchmarks compare the paths); -1, and no
// change, when the CPU cannot run it. Not thread-safe: call between ops.
int gemm_bf16_force(GemmBf16Path path);
const char *gemm_bf16_path_name(GemmBf16Path path);

// A bf16 region: the products between begin and end have bf16 operands, so gemm_block
// and gemm_small may multiply them in bf16. Ops run one at a time (ops/parallel.h), so
// one flag serves all threads; the pool's workers only read it. Regions do not nest.
void gemm_bf16_region_begin(void);
void gemm_bf16_region_end(void);
// Whether a region is open: the ops that compute operands of their own products
// (attention's probabilities and their gradient) round them to bf16 there, on every path.
int gemm_bf16_in_region(void);
// Whether gemm_block and gemm_small take the bf16 kernel now: inside a region, on a
// path other than PORTABLE.
int gemm_bf16_active(void);

// C (m, n) = alpha A . B + beta C, A's element (i, p) at A[i * a_row + p * a_col], B's
// (p, j) at B[p * b_row + j * b_col] (for each operand one of the two strides is 1), C
// row-major with leading dimension ldc. beta = 0 does not read C. Operands rounded to
// bf16 as above; runs on the calling thread. Only with gemm_bf16_best() != PORTABLE.
void gemm_bf16(size_t m, size_t n, size_t k, float alpha, const float *A, size_t a_row,
               size_t a_col, const float *B, size_t b_row, size_t b_col, float beta, float *C,
               size_t ldc);

// gemm_bf16 with A given as bf16 bits (an operand some op keeps in 16 bits: attention's
// P and dS). The bits of gemm_bf16 on A's values as float32. Only with gemm_bf16_best()
// != PORTABLE.
void gemm_bf16_a16(size_t m, size_t n, size_t k, float alpha, const uint16_t *A, size_t a_row,
                   size_t a_col, const float *B, size_t b_row, size_t b_col, float beta, float *C,
                   size_t ldc);

// B packed once for several products that multiply it (Winograd's 16 weight planes,
// packed once per conv rather than once per block of tiles): gemm_bf16_pack writes B
// (k, n) in the kernel's packed layout into dst (64-byte aligned) and returns its words;
// dst NULL only counts them. gemm_bf16_packed is gemm_bf16 with such a B, with the bits
// of gemm_bf16 on the B it was packed from. Only with gemm_bf16_best() != PORTABLE.
size_t gemm_bf16_pack(uint32_t *dst, size_t k, size_t n, const float *B, size_t b_row,
                      size_t b_col);
void gemm_bf16_packed(size_t m, size_t n, size_t k, float alpha, const float *A, size_t a_row,
                      size_t a_col, const uint32_t *Bp, float beta, float *C, size_t ldc);

#endif
