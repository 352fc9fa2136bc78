// Central finite-difference gradient check (ggml test-backend-ops style).
// The op under test is wrapped in a callback that runs forward and returns the
// scalar L = sum(out * probe) accumulated in double, where `probe` is a fixed
// random tensor; the analytic gradient is dL/dx from the op's backward with
// dout = probe. Each checked element x_i is perturbed by +-eps (float32 inputs,
// double loss) and (L+ - L-)/(2 eps) is compared with the analytic value.
#ifndef VDMC_TEST_GRADCHECK_H
#define VDMC_TEST_GRADCHECK_H

#include <stddef.h>

typedef double (*gradcheck_loss_fn)(void *ctx);

typedef struct {
  const char *name;     // for messages, e.g. "conv2d.dweight"
  float *x;             // the tensor that gets perturbed (an input or a parameter)
  const float *grad;    // analytic gradient of L w.r.t. x
  size_t n;
} GradcheckTarget;

// Checks up to max_points elements of each target (all if n <= max_points, else a
// strided subset). Passes when |num - ana| <= atol + rtol * max(|num|, |ana|).
// Returns the worst relative error seen; failures go through CHECK.
double gradcheck_run(gradcheck_loss_fn loss, void *ctx, const GradcheckTarget *targets,
                     int n_targets, double eps, double rtol, double atol, size_t max_points);

// sum_i out[i] * probe[i] in double: the scalar most gradchecks use.
double gradcheck_dot(const float *out, const float *probe, size_t n);

#endif
