// Winograd F(2x2, 3x3) transforms (see winograd_transforms.h): each call runs the
// 16-channel kernels (winograd_kernels.h) where the CPU has AVX-512 and the channel
// count is a multiple of 16, else the 8-channel ones. Measured on a Zen 5 host
// (bench_step, 1 thread): 16 lanes made the fmnist step (32, 64 channels) 10% faster,
// while the configs/fmnist.yaml step (24 channels: 16 lanes would leave an 8-channel
// remainder) was 7% slower than with 8 lanes. Both widths give the same bits.
#include "ops/winograd_transforms.h"

#include <pthread.h>

#include "blas/cpu_features.h"
#include "ops/winograd_kernels.h"

static int has_zmm;
static pthread_once_t zmm_once = PTHREAD_ONCE_INIT;

static void detect_zmm(void) {
  CpuFeatures f;
  cpu_features_detect(&f);
  has_zmm = (f.bits & CPU_AVX512F) != 0;
}

// The kernels for rows of n floats.
static const WinoKernels *kernels_for(size_t n) {
  pthread_once(&zmm_once, detect_zmm);
  return has_zmm && n % 16 == 0 ? wino_kernels16() : wino_kernels8();
}

int wino_group_lanes(void) {
  pthread_once(&zmm_once, detect_zmm);
  return has_zmm ? 16 : 8;
}

void wino_input_transform(float *v, size_t ld, const float *const d[WINO_POS], size_t C) {
  kernels_for(C)->input(v, ld, d, C);
}

void wino_output_transform(float *const y[4], const float *m, size_t ld, const float *bias,
                           int accumulate, size_t C) {
  kernels_for(C)->output(y, m, ld, bias, accumulate, C);
}

void wino_grad_output_transform(float *dm, size_t ld, const float *const dy[4], size_t C) {
  kernels_for(C)->grad_output(dm, ld, dy, C);
}

void wino_weight_transform(float *u, const float *g, size_t n, size_t lo, size_t hi) {
  kernels_for(hi - lo)->weight(u, g, n, lo, hi);
}

void wino_weight_grad(float *dg, const float *du, size_t n, size_t lo, size_t hi) {
  kernels_for(hi - lo)->weight_grad(dg, du, n, lo, hi);
}
