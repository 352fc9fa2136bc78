// Shared checks for an op with one output: parity of the output and of every
// gradient against a reference fixture, central finite differences of every
// input/parameter, and the backward contract (accumulates with +=, NULL = skip).
// The op is two callbacks over arrays of inputs `in[i]` and gradients `grad[i]`;
// state saved by forward for backward (GroupNorm mean/rstd) lives in `ctx`.
#ifndef VDMC_TEST_OPCHECK_H
#define VDMC_TEST_OPCHECK_H

#include <stddef.h>

#include "fixture.h"

enum { OPCHECK_MAX_IN = 4 };

typedef void (*opcheck_forward_fn)(void *ctx, float *out, float *const *in);
// Accumulates into grad[i] for each non-NULL grad[i].
typedef void (*opcheck_backward_fn)(void *ctx, float *const *grad, const float *dout,
                                    float *const *in);

typedef struct {
  const char *name;  // for messages, e.g. "groupnorm_small"
  void *ctx;
  opcheck_forward_fn forward;
  opcheck_backward_fn backward;
  int n_in;
  const char *in_name[OPCHECK_MAX_IN];  // fixture array names; gradients are "d" + name
  size_t in_n[OPCHECK_MAX_IN];
  size_t out_n;
  float *in[OPCHECK_MAX_IN];  // allocated by opcheck_alloc
  float *out;
} OpCheck;

// Allocates in[] and out from the sizes; inputs are filled uniform in [-1, 1).
int opcheck_alloc(OpCheck *op, unsigned seed);
void opcheck_free(OpCheck *op);
// Copies the inputs from the fixture (sizes must match). Returns 0 on success.
int opcheck_load(OpCheck *op, const Fixture *fx);
// Forward vs "out", then backward with "dout" into zeroed gradients vs "d<name>".
void opcheck_parity(OpCheck *op, const Fixture *fx, double tol);
// Finite differences of L = sum(out * probe) for every input, up to max_points each.
void opcheck_gradcheck(OpCheck *op, double eps, double rtol, double atol, size_t max_points);
// Backward twice doubles every gradient; with one gradient NULL the others are
// still accumulated onto their previous (non-zero) contents.
void opcheck_accumulate(OpCheck *op);

#endif
