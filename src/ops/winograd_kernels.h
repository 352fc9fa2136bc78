// The Winograd transforms (winograd_transforms.h) compiled at two vector widths:
// groups of 8 channels (one ymm; winograd_transforms8.c) and of 16 (one zmm;
// winograd_transforms16.c), from the same source (winograd_groups.h); callers go
// through wino_kernels_for (winograd_transforms.c).
#ifndef VDMC_OPS_WINOGRAD_KERNELS_H
#define VDMC_OPS_WINOGRAD_KERNELS_H

#include "ops/winograd_transforms.h"

const WinoKernels *wino_kernels8(void);
const WinoKernels *wino_kernels16(void);

#endif
