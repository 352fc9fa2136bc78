// The user-facing description of a diffusion objective (schedule, weighting,
// parameterization and their constants) as key/value pairs, so the CLI flags and
// the YAML config loader fill it through the same function and get the same
// error messages. Keys (values are names or numbers):
//   schedule        cosine | shifted-cosine | edm-training | edm-sampling | fm-ot | linear | adaptive | learned
//   weighting       elbo | iddpm | edm | edm-monotonic | v-prediction | fm-ot | indi | p2 | min-snr | sigmoid
//   parameterization eps | x | v | F
//   lambda_min, lambda_max   truncation range (default [-20, 20]; edm-sampling: its natural range)
//   resolution      d: shift s = log(shift_base/d) for shifted-cosine and for the weighting (D.2.1); default 64
//   shift_base      the base resolution of the shift (64)
//   bias            sigmoid weighting b (2)       p2_k, p2_gamma  P2 (1, 1)
//   min_snr_gamma   (5)                           sigma_data      EDM weighting / F parameterization (0.5)
//   rho, sigma_min, sigma_max   EDM sampling schedule (7, 0.002, 80)
//   edm_mean, edm_std           EDM training schedule/weighting: lambda ~ N(2.4, 2.4^2)
#ifndef VDMC_DIFFUSION_OBJECTIVE_SPEC_H
#define VDMC_DIFFUSION_OBJECTIVE_SPEC_H

#include "diffusion/parameterization.h"
#include "diffusion/schedule.h"
#include "diffusion/weighting.h"

typedef struct {
  ScheduleKind schedule;
  int shifted_schedule;  // "shifted-cosine"
  WeightingKind weighting;
  PredKind pred;
  double lambda_min, lambda_max;  // NAN: the schedule kind's default
  double resolution, shift_base;
  double bias, p2_k, p2_gamma, min_snr_gamma, sigma_data;
  double rho, sigma_min, sigma_max, edm_mean, edm_std;
} DiffusionSpec;

void diffusion_spec_defaults(DiffusionSpec *spec);  // cosine, sigmoid(b=2)... see above
// Sets one key; unknown keys and bad values fail with VDMC_ERR_INPUT and one line
// naming `where` (e.g. "--weighting" or "config.yaml: diffusion.weighting"), the
// value and what is expected.
int diffusion_spec_set(DiffusionSpec *spec, const char *key, const char *value, const char *where);
// Builds the schedule and weighting (not yet prepared for adaptive/learned, whose
// state the caller attaches before calling schedule_prepare).
int diffusion_spec_build(const DiffusionSpec *spec, Schedule *schedule, Weighting *weighting);

#endif
