// The Winograd transforms over groups of 8 channels (see winograd_kernels.h).
#include "ops/winograd_kernels.h"

enum { LANES = 8 };
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

#include "ops/winograd_groups.h"

const WinoKernels *wino_kernels8(void) { return &wino_kernels; }
