// Exponential moving average of the weights, with a warm-up of the decay.
// A fixed decay forgets the random initialization far too slowly for short
// runs: after n updates with decay beta the EMA still holds beta^n of the
// initial weights (0.999^240 = 0.787), so its samples are noise. Two ramps:
//   EMA_POWER     decay_n = min(beta, (1 + n) / (10 + n)), n = updates done before
//                 this one (TF ExponentialMovingAverage num_updates); the weight
//                 of the init after N updates is 9! N! / (N + 9)! = 1/C(N+9, 9).
//   EMA_HALFLIFE  EDM (Karras et al. 2022): half-life h = halflife_kimg * 1000
//                 images, ramped as h = min(h, rampup_ratio * images_before)
//                 when rampup_ratio > 0; decay = 0.5^(batch / max(h, 1e-8)).
//                 The first update (images_before = 0) copies the weights.
#ifndef VDMC_OPTIM_EMA_H
#define VDMC_OPTIM_EMA_H

#include <stddef.h>

typedef enum { EMA_POWER = 0, EMA_HALFLIFE = 1 } EmaMode;

typedef struct {
  EmaMode mode;
  double beta;            // EMA_POWER: the final decay, e.g. 0.9999
  double halflife_kimg;   // EMA_HALFLIFE: half-life in thousands of images (EDM: 500)
  double rampup_ratio;    // EMA_HALFLIFE: EDM 0.05; 0 = no ramp
} EmaConfig;

// Checks the fields; VDMC_ERR_INPUT with a message naming the bad field.
int ema_check(const EmaConfig *c);
// Decay for the update after `updates_before` updates and `images_before`
// images, with `batch` images in this global step.
double ema_decay(const EmaConfig *c, long updates_before, double images_before, double batch);
// ema = param + decay (ema - param) on one slice (torch lerp form, as in EDM).
void ema_update(float *ema /* (n) */, const float *param /* (n) */, size_t n, double decay);

#endif
