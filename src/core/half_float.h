// float32 <-> bfloat16 / IEEE half conversions for exported weights (docs/interop.md,
// "dtypes"). Both narrowings round to nearest, ties to even, on the float32 bits, so a
// file written by vdmc holds exactly what PyTorch's `tensor.to(torch.bfloat16)` /
// `.to(torch.float16)` would give for the same float32 value.
#ifndef VDMC_CORE_HALF_FLOAT_H
#define VDMC_CORE_HALF_FLOAT_H

#include <stdint.h>

// bfloat16: the high 16 bits of float32 after rounding to nearest even; NaN stays a
// (quiet) NaN; finite values beyond bfloat16's range round to +-inf like PyTorch's.
uint16_t bf16_from_f32(float f);
float f32_from_bf16(uint16_t h);
// IEEE binary16, correctly rounded (subnormals included). Returns 0 when a finite f
// would round to +-inf (|f| >= 65520): the caller refuses the tensor; 1 otherwise
// (inf and NaN map to inf and NaN).
int f16_from_f32(float f, uint16_t *h);
float f32_from_f16(uint16_t h);

#endif
