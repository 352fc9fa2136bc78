// Fourier-feature input channels (VDM App. C, Eq. 34): for every input channel z_c
// and every n in {n_min, ..., n_max} append sin(2^n pi z_c) and cos(2^n pi z_c).
// Layout (NHWC rows of C channels, N = B*H*W rows):
//   out[r, 0:C]                    = z[r, :]
//   out[r, C + j*C + c]            = sin(2^(n_min + j) pi z[r, c])   j < K = n_max - n_min + 1
//   out[r, C + K*C + j*C + c]      = cos(2^(n_min + j) pi z[r, c])
// The frequency follows the paper's text (2^n pi); the VDM code multiplies by 2^n 2 pi,
// i.e. its n is our n + 1.
#ifndef VDMC_DIFFUSION_FOURIER_FEATURES_H
#define VDMC_DIFFUSION_FOURIER_FEATURES_H

#include <stddef.h>

size_t fourier_channels(size_t C, int n_min, int n_max);  // C (1 + 2K)
// out: (N, fourier_channels), z: (N, C)
void fourier_forward(float *out, const float *z, size_t N, size_t C, int n_min, int n_max);
// dz: (N, C) ACCUMULATES; dout: (N, fourier_channels); z: (N, C)
void fourier_backward(float *dz, const float *dout, const float *z, size_t N, size_t C, int n_min, int n_max);

#endif
