// Adaptive noise schedule (VDM++ App. F and H): [lambda_min, lambda_max] is split
// into 100 equal bins; bin k holds an EMA (decay 0.999, initial value 1) of
// w(lambda) ||eps - eps_hat||^2 over the examples whose lambda fell in it. The
// schedule's density is piecewise constant, p(lambda) proportional to the bin
// value, so its CDF is piecewise linear and so is f(t) (the CDF's inverse).
//
// Update rule (chosen here, the paper does not say): each bin decays once per
// OBSERVATION. A step contributes per-bin sums S_k and counts n_k (summed over
// ranks first, so the result does not depend on how the batch is split):
//     v_k <- d^n_k v_k + (1 - d^n_k) S_k / n_k      (n_k > 0; unchanged if n_k = 0)
// which is exactly n_k sequential EMA updates when the step's n_k observations are
// replaced by their mean. The EMA's memory is then ~1/(1-d) = 1000 observations
// per bin whatever the batch size or rank count; decaying once per step would make
// the effective averaging window (and the schedule's noise) depend on the batch size.
#ifndef VDMC_DIFFUSION_ADAPTIVE_H
#define VDMC_DIFFUSION_ADAPTIVE_H

#include <stddef.h>

#define ADAPTIVE_BINS 100

typedef struct AdaptiveSchedule {
  double lambda_min, lambda_max;
  double decay;                       // 0.999
  double value[ADAPTIVE_BINS];        // EMA per bin (checkpointed)
  // derived by adaptive_refresh: cumulative bin mass from the left and from the
  // right (each accurate where it is small) and the normalizer sum(value) * width
  double cum_lo[ADAPTIVE_BINS + 1], cum_hi[ADAPTIVE_BINS + 1];
  double total;
} AdaptiveSchedule;

// All bins 1 (uniform p), decay 0.999. Fails on an empty or non-finite range.
int adaptive_init(AdaptiveSchedule *a, double lambda_min, double lambda_max);
// Recomputes the derived CDF tables from value[] (after loading bins from a checkpoint).
int adaptive_refresh(AdaptiveSchedule *a);
int adaptive_bin(const AdaptiveSchedule *a, double lambda);  // clamped to [0, 99]
// Adds value[i] at lambda[i] into per-bin sum/count (both ADAPTIVE_BINS long, not zeroed).
void adaptive_accumulate(const AdaptiveSchedule *a, double *sum, double *count,
                         const double *lambda, const double *value, size_t n);
// One training step's update from the (all-reduced) per-bin sums and counts.
int adaptive_update(AdaptiveSchedule *a, const double *sum, const double *count);

// The schedule's distribution of lambda (used through schedule.h):
double adaptive_density(const AdaptiveSchedule *a, double lambda);
double adaptive_lower(const AdaptiveSchedule *a, double lambda);  // P(Lambda < lambda)
double adaptive_upper(const AdaptiveSchedule *a, double lambda);  // P(Lambda > lambda)
double adaptive_from_lower(const AdaptiveSchedule *a, double q);  // inverse of lower
double adaptive_from_upper(const AdaptiveSchedule *a, double q);  // inverse of upper

#endif
