// ReLU forward and backward, threaded over contiguous ranges (parallel.h).
#include "ops/relu.h"

#include "ops/parallel.h"

typedef struct {
  float *y;                  // out (forward) or dinp (backward)
  const float *x, *dout;     // forward: inp, NULL; backward: out, dout
} ReluArgs;

static void relu_forward_range(void *ctx, size_t lo, size_t hi) {
  const ReluArgs *a = ctx;
  for (size_t i = lo; i < hi; i++) a->y[i] = a->x[i] < 0.0f ? 0.0f : a->x[i];
}

static void relu_backward_range(void *ctx, size_t lo, size_t hi) {
  const ReluArgs *a = ctx;
  for (size_t i = lo; i < hi; i++) a->y[i] += a->x[i] > 0.0f ? a->dout[i] : 0.0f;
}

void relu_forward(float *out, const float *inp, size_t n) {
  ReluArgs a = {out, inp, NULL};
  par_for(n, 16, n, relu_forward_range, &a);
}

void relu_backward(float *dinp, const float *dout, const float *out, size_t n) {
  if (!dinp) return;  // NULL gradient: not needed
  ReluArgs a = {dinp, out, dout};
  par_for(n, 16, n, relu_backward_range, &a);
}
