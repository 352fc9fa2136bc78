// The Winograd transforms over groups of 16 channels (see winograd_kernels.h).
#include "ops/winograd_kernels.h"

enum { LANES = 16 };
typedef float vf __attribute__((vector_size(LANES * sizeof(float))));

#include "ops/winograd_groups.h"

const WinoKernels *wino_kernels16(void) { return &wino_kernels; }
