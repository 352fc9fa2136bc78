#include "optim/adam.h"

#include <math.h>

#include "core/status.h"
#include "ops/parallel.h"

void adam_config_default(AdamConfig *c) {
  c->beta1 = 0.9;
  c->beta2 = 0.999;
  c->eps = 1e-8;
  c->weight_decay = 0.0;
}

// Per-step constants, computed once in double and used in float32.
typedef struct {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float step_size;      // lr / (1 - beta1^t)
  float bc2_sqrt;       // sqrt(1 - beta2^t); divided by, as torch does, for parity
  float eps, grad_scale;
} AdamCoefs;

// One contiguous range with a constant decay multiplier, over the pool's threads
// (elementwise: the same bits on any thread count).
typedef struct {
  float *param, *m, *v;
  const float *grad;
  const AdamCoefs *c;
  float decay_mult;
} AdamRange;

static void adam_part(void *ctx, size_t lo, size_t hi) {
  const AdamRange *a = ctx;
  // the coefficients in locals: read through a pointer, a float the loop's stores might
  // alias would be loaded again per element, and the loop would not vectorize
  const AdamCoefs c = *a->c;
  const float decay_mult = a->decay_mult;
  float *param = a->param, *m = a->m, *v = a->v;
  const float *grad = a->grad;
  for (size_t i = lo; i < hi; i++) {
    float g = grad[i] * c.grad_scale;
    float mi = m[i] * c.beta1 + c.one_minus_beta1 * g;
    float vi = v[i] * c.beta2 + c.one_minus_beta2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    float denom = sqrtf(vi) / c.bc2_sqrt + c.eps;
    param[i] = param[i] * decay_mult - c.step_size * (mi / denom);
  }
}

// Elements [0, n) of one contiguous range with a constant decay multiplier.
static void adam_range(float *param, float *m, float *v, const float *grad, size_t n,
                       const AdamCoefs *c, float decay_mult) {
  AdamRange a = {param, m, v, grad, c, decay_mult};
  par_for(n, 16, 4 * n, adam_part, &a);
}

int adam_step_slice(float *param, float *m, float *v, const float *grad, size_t offset, size_t n,
                    const ParamTable *table, const AdamConfig *cfg, double lr, long step,
                    float grad_scale) {
  if (step < 1) return vdmc_fail(VDMC_ERR_INTERNAL, "adam: step %ld must be >= 1", step);
  if (!(cfg->beta1 >= 0 && cfg->beta1 < 1 && cfg->beta2 >= 0 && cfg->beta2 < 1 && cfg->eps > 0 &&
        cfg->weight_decay >= 0 && lr >= 0))
    return vdmc_fail(VDMC_ERR_INTERNAL, "adam: invalid beta1 %g beta2 %g eps %g wd %g lr %g",
                     cfg->beta1, cfg->beta2, cfg->eps, cfg->weight_decay, lr);
  AdamCoefs c = {
      .beta1 = (float)cfg->beta1,
      .one_minus_beta1 = (float)(1 - cfg->beta1),
      .beta2 = (float)cfg->beta2,
      .one_minus_beta2 = (float)(1 - cfg->beta2),
      .step_size = (float)(lr / (1 - pow(cfg->beta1, (double)step))),
      .bc2_sqrt = (float)sqrt(1 - pow(cfg->beta2, (double)step)),
      .eps = (float)cfg->eps,
      .grad_scale = grad_scale,
  };
  float decayed = (float)(1 - lr * cfg->weight_decay);
  size_t pos = offset, end = offset + n;
  // Walk the tensors overlapping [offset, end): padding and decay = 0 tensors get 1.
  for (size_t t = 0; table && cfg->weight_decay > 0 && t < table->count && pos < end; t++) {
    const ParamInfo *p = &table->items[t];
    size_t lo = p->offset > pos ? p->offset : pos;
    size_t hi = p->offset + p->numel < end ? p->offset + p->numel : end;
    if (!p->decay || lo >= hi) continue;
    size_t k = pos - offset;
    adam_range(param + k, m + k, v + k, grad + k, lo - pos, &c, 1.0f);
    k = lo - offset;
    adam_range(param + k, m + k, v + k, grad + k, hi - lo, &c, decayed);
    pos = hi;
  }
  size_t k = pos - offset;
  adam_range(param + k, m + k, v + k, grad + k, end - pos, &c, 1.0f);
  return VDMC_OK;
}
