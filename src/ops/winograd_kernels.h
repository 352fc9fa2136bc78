// The Winograd transforms (winograd_transforms.h) compiled at two vector widths:
// groups of 8 channels (one ymm; winograd_transforms8.c) and of 16 (one zmm;
// winograd_transforms16.c), from the same source (winograd_groups.h). Each function of
// a table has the signature of its namesake in winograd_transforms.h.
// winograd_transforms.c picks the table per call.
#ifndef VDMC_OPS_WINOGRAD_KERNELS_H
#define VDMC_OPS_WINOGRAD_KERNELS_H

#include <stddef.h>

#include "ops/winograd_transforms.h"

typedef struct {
  void (*input)(float *v, size_t ld, const float *const d[WINO_POS], size_t C);
  void (*output)(float *const y[4], const float *m, size_t ld, const float *bias, int accumulate,
                 size_t C);
  void (*grad_output)(float *dm, size_t ld, const float *const dy[4], size_t C);
  void (*weight)(float *u, const float *g, size_t n, size_t lo, size_t hi);
  void (*weight_grad)(float *dg, const float *du, size_t n, size_t lo, size_t hi);
} WinoKernels;

const WinoKernels *wino_kernels8(void);
const WinoKernels *wino_kernels16(void);

#endif
