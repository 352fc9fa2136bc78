// Adam / AdamW over a slice of the flat buffers (docs/design.md, Flat buffers).
// n: elements in the slice; every pointer points at the slice start, i.e. at
// element `offset` of the full flat buffer, so a ZeRO shard passes its own
// local m and v together with params + offset and its reduced gradient slice.
#ifndef VDMC_OPTIM_ADAM_H
#define VDMC_OPTIM_ADAM_H

#include <stddef.h>

#include "core/param_table.h"

typedef struct {
  double beta1;         // 0.9
  double beta2;         // 0.999
  double eps;           // 1e-8, added to sqrt(v_hat) as in torch.optim.Adam
  double weight_decay;  // decoupled (AdamW): p -= lr * wd * p, only on tensors with decay = 1
} AdamConfig;

// beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0.
void adam_config_default(AdamConfig *c);

// One Adam step on params[offset, offset + n):
//   g = grad_scale * grad          (grad_scale: the clipping factor, 1 = none)
//   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
//   p = p (1 - lr wd [decay flag]) - lr/(1 - beta1^t) * m / (sqrt(v)/sqrt(1 - beta2^t) + eps)
// t = step, counted from 1. table gives the decay flag of each element by its
// global offset (tensor offsets must increase, as param_table_add makes them);
// padding between tensors and table == NULL get no decay. Returns VDMC_OK or
// VDMC_ERR_INTERNAL for an invalid step / config.
int adam_step_slice(float *param /* (n) */, float *m /* (n) */, float *v /* (n) */,
                    const float *grad /* (n) */, size_t offset, size_t n,
                    const ParamTable *table, const AdamConfig *cfg, double lr, long step,
                    float grad_scale);

#endif
