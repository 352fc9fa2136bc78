#include "diffusion/fourier_features.h"

#include <math.h>

#include "diffusion/stable_math.h"

size_t fourier_channels(size_t C, int n_min, int n_max) {
  size_t K = n_max >= n_min ? (size_t)(n_max - n_min + 1) : 0;
  return C * (1 + 2 * K);
}

static double frequency(int n) { return ldexp(DM_PI, n); }  // 2^n pi

void fourier_forward(float *out, const float *z, size_t N, size_t C, int n_min, int n_max) {
  size_t W = fourier_channels(C, n_min, n_max), K = (W / C - 1) / 2;
  for (size_t r = 0; r < N; r++) {
    const float *zr = z + r * C;
    float *o = out + r * W;
    for (size_t c = 0; c < C; c++) o[c] = zr[c];
    for (size_t j = 0; j < K; j++) {
      double f = frequency(n_min + (int)j);
      for (size_t c = 0; c < C; c++) {
        double a = f * zr[c];
        o[C + j * C + c] = (float)sin(a);
        o[C + K * C + j * C + c] = (float)cos(a);
      }
    }
  }
}

void fourier_backward(float *dz, const float *dout, const float *z, size_t N, size_t C, int n_min, int n_max) {
  size_t W = fourier_channels(C, n_min, n_max), K = (W / C - 1) / 2;
  for (size_t r = 0; r < N; r++) {
    const float *zr = z + r * C, *d = dout + r * W;
    for (size_t c = 0; c < C; c++) {
      double g = d[c];
      for (size_t j = 0; j < K; j++) {
        double f = frequency(n_min + (int)j), a = f * zr[c];
        g += f * (cos(a) * d[C + j * C + c] - sin(a) * d[C + K * C + j * C + c]);
      }
      dz[r * C + c] += (float)g;
    }
  }
}
