// Sinusoidal embedding of a scalar (ADM timestep_embedding: cos half first, then sin)
// and the class embedding table. B batch, E embedding width, K classes (+1 null row).
// The sinusoid arguments x * f_i are formed in double: x may be a large timestep
// (ADM scales t to [0, 1000)), where a float32 product would already be off by 1e-4.
#include "ops/embedding.h"

#include <math.h>
#include <string.h>

static double sinusoid_freq(int i, int half, double max_period) {
  return exp(-log(max_period) * (double)i / (double)half);
}

void sinusoidal_embedding_forward(float *out, const float *x, int B, int E, double max_period) {
  int half = E / 2;
  for (int b = 0; b < B; b++) {
    float *o = out + (size_t)b * E;
    for (int i = 0; i < half; i++) {
      double a = (double)x[b] * sinusoid_freq(i, half, max_period);
      o[i] = (float)cos(a);
      o[half + i] = (float)sin(a);
    }
  }
}

void sinusoidal_embedding_backward(float *dx, const float *dout, const float *x, int B, int E,
                                   double max_period) {
  if (!dx) return;
  int half = E / 2;
  for (int b = 0; b < B; b++) {
    const float *g = dout + (size_t)b * E;
    double acc = 0;
    for (int i = 0; i < half; i++) {
      double f = sinusoid_freq(i, half, max_period), a = (double)x[b] * f;
      acc += f * (-(double)g[i] * sin(a) + (double)g[half + i] * cos(a));
    }
    dx[b] += (float)acc;
  }
}

void class_embedding_forward(float *out, const int *labels, const float *table, int B, int E) {
  for (int b = 0; b < B; b++)
    memcpy(out + (size_t)b * E, table + (size_t)labels[b] * E, (size_t)E * sizeof *out);
}

// Scatter-add: a label that appears in several rows receives the sum of their gradients.
void class_embedding_backward(float *dtable, const float *dout, const int *labels, int B, int E) {
  if (!dtable) return;
  for (int b = 0; b < B; b++) {
    float *d = dtable + (size_t)labels[b] * E;
    const float *g = dout + (size_t)b * E;
    for (int e = 0; e < E; e++) d[e] += g[e];
  }
}
