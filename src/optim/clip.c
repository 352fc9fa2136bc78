#include "optim/clip.h"

#include <math.h>

#include "core/status.h"

// Four independent accumulators so the adds pipeline (no fast-math reordering);
// the order is fixed, so the result is deterministic.
double clip_sum_squares(const float *grad, size_t n) {
  double s[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++) s[j] += (double)grad[i + j] * (double)grad[i + j];
  for (; i < n; i++) s[0] += (double)grad[i] * (double)grad[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

int clip_scale(double total_sum_squares, double max_norm, double *norm, float *scale) {
  *norm = sqrt(total_sum_squares);
  *scale = 1.0f;
  if (!isfinite(total_sum_squares))
    return vdmc_fail(VDMC_ERR_NUMERIC, "gradient norm is %g: non-finite gradients", *norm);
  if (max_norm > 0) {
    double s = max_norm / (*norm + 1e-6);
    if (s < 1) *scale = (float)s;
  }
  return VDMC_OK;
}
