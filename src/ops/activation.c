// SiLU x*sigmoid(x) and exact GELU x*Phi(x) = 0.5*x*(1 + erf(x/sqrt 2)), pointwise.
// Phi is evaluated as 0.5*erfc(-x/sqrt 2): 1 + erf(.) cancels for x < -4 in float32.
#include "ops/activation.h"

#include <math.h>

// 1/(1+e^-x); expf(-x) overflows to inf for x < -88, giving the correct limit 0.
static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

void silu_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp[i] * sigmoidf(inp[i]);
}

// d/dx x*s(x) = s + x*s*(1-s)
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
  if (!dinp) return;
  for (size_t i = 0; i < n; i++) {
    float s = sigmoidf(inp[i]);
    dinp[i] += dout[i] * s * (1.0f + inp[i] * (1.0f - s));
  }
}

static const float INV_SQRT2 = 0.70710678118654752f;
static const float INV_SQRT_2PI = 0.39894228040143268f;

static float normal_cdf(float x) { return 0.5f * erfcf(-x * INV_SQRT2); }

void gelu_forward(float *out, const float *inp, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = inp[i] * normal_cdf(inp[i]);
}

// d/dx x*Phi(x) = Phi(x) + x*phi(x)
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
  if (!dinp) return;
  for (size_t i = 0; i < n; i++) {
    float x = inp[i];
    float cdf = normal_cdf(x);
    float pdf = INV_SQRT_2PI * expf(-0.5f * x * x);
    dinp[i] += dout[i] * (cdf + x * pdf);
  }
}
