// The transforms of Winograd's F(2x2, 3x3) (Lavin & Gray 2016), for conv2d_winograd.c:
//   G   = [1 0 0; h h h; h -h h; 0 0 1] (h = 1/2)   kernel   U = G g G^T   (3x3 -> 4x4)
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    input    V = B^T d B   (4x4 -> 4x4)
//   A^T = [1 1 1 0; 0 1 -1 -1]                       output   y = A^T m A   (4x4 -> 2x2)
// so that y = A^T [U (.) V] A is the 2x2 correlation of the 4x4 input d with the 3x3
// kernel g. The backward passes use the transposes: dm = A dy A^T, dg = G^T dU G.
// A tile of C channels is a set of rows of C floats (NHWC pixels, or planes of a
// transformed buffer at stride ld); each 2-D transform is two passes of a 1-D one
// over whole rows, so every loop runs over channels and vectorizes. The entries are
// 0, +-1 and 1/2: additions only (and exact halvings), the same bits with any SIMD width.
#ifndef VDMC_OPS_WINOGRAD_TRANSFORMS_H
#define VDMC_OPS_WINOGRAD_TRANSFORMS_H

#include <stddef.h>

enum { WINO_POS = 16 };  // transformed positions of a tile (4x4)

// The five transforms, at one vector width (see wino_kernels_for). C channels per row.
typedef struct {
  // v[xi * ld + c] = (B^T d B)[xi] for the 4x4 input tile d (row-major, 16 rows of C),
  // d's values rounded to bf16 first when `round` (a bf16 region: d is a product's
  // operand; the same bits as transforming a rounded copy).
  void (*input)(float *v, size_t ld, const float *const d[WINO_POS], size_t C, int round);
  // y[k][c] = (A^T m A)[k] + (accumulate ? y[k][c] : bias ? bias[c] : 0), the 2x2 output
  // tile y (row-major) from m[xi * ld + c]. The four y rows must be distinct.
  void (*output)(float *const y[4], const float *m, size_t ld, const float *bias, int accumulate,
                 size_t C);
  // dm[xi * ld + c] = (A dy A^T)[xi] for the 2x2 output gradient tile dy, rounded to
  // bf16 first when `round`.
  void (*grad_output)(float *dm, size_t ld, const float *const dy[4], size_t C, int round);
  // u[xi * n + e] = (G g G^T)[xi] for e in [lo, hi), g[k * n + e] the 3x3 kernels
  // (k = ky*3 + kx; n = Cin*Cout pairs for a (3,3,Cin,Cout) weight).
  void (*weight)(float *u, const float *g, size_t n, size_t lo, size_t hi);
  // dg[k * n + e] += (G^T du G)[k] for e in [lo, hi).
  void (*weight_grad)(float *dg, const float *du, size_t n, size_t lo, size_t hi);
} WinoKernels;

// The transforms for rows of C channels on this CPU: 16-channel groups where the CPU
// has AVX-512 and C is a multiple of 16, else 8-channel ones. Callers pick them once
// per convolution, not per tile.
const WinoKernels *wino_kernels_for(size_t C);
// Channels per vector group of the transforms on this CPU for channel counts that are
// multiples of 16: 16 with AVX-512, else 8 (for reports: `vdmc blas`).
int wino_group_lanes(void);

#endif
