// Winograd F(2x2, 3x3) transforms (see winograd_transforms.h): the 16-channel kernels
// (winograd_kernels.h) where the CPU has AVX-512 and the channel count is a multiple
// of 16, else the 8-channel ones. Measured on a Zen 5 host
// (bench_step, 1 thread): 16 lanes made the fmnist step (32, 64 channels) 10% faster,
// while the configs/fmnist.yaml step (24 channels: 16 lanes would leave an 8-channel
// remainder) was 7% slower than with 8 lanes. Both widths give the same bits.
#include "ops/winograd_transforms.h"

#include "core/cpu_features.h"
#include "ops/winograd_kernels.h"

int wino_group_lanes(void) { return cpu_features_bits() & CPU_AVX512F ? 16 : 8; }

const WinoKernels *wino_kernels_for(size_t C) {
  return wino_group_lanes() == 16 && C % 16 == 0 ? wino_kernels16() : wino_kernels8();
}
