#include "diffusion/objective_spec.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

void diffusion_spec_defaults(DiffusionSpec *spec) {
  Schedule s;
  Weighting w;
  schedule_defaults(&s, SCHEDULE_EDM_SAMPLE);
  weighting_defaults(&w, WEIGHTING_SIGMOID);
  memset(spec, 0, sizeof *spec);
  spec->schedule = SCHEDULE_COSINE;
  spec->weighting = WEIGHTING_SIGMOID;
  spec->pred = PRED_EPS;
  spec->lambda_min = spec->lambda_max = NAN;
  spec->resolution = 64;
  spec->shift_base = 64;
  spec->bias = w.bias;
  spec->p2_k = w.p2_k;
  spec->p2_gamma = w.p2_gamma;
  spec->min_snr_gamma = w.min_snr_gamma;
  spec->sigma_data = w.sigma_data;
  spec->rho = s.rho;
  spec->sigma_min = s.sigma_min;
  spec->sigma_max = s.sigma_max;
  spec->edm_mean = s.edm_mean;
  spec->edm_std = s.edm_std;
}

typedef struct {
  const char *key;
  size_t offset;
} NumberKey;

static const NumberKey kNumbers[] = {
    {"lambda_min", offsetof(DiffusionSpec, lambda_min)},
    {"lambda_max", offsetof(DiffusionSpec, lambda_max)},
    {"resolution", offsetof(DiffusionSpec, resolution)},
    {"shift_base", offsetof(DiffusionSpec, shift_base)},
    {"bias", offsetof(DiffusionSpec, bias)},
    {"p2_k", offsetof(DiffusionSpec, p2_k)},
    {"p2_gamma", offsetof(DiffusionSpec, p2_gamma)},
    {"min_snr_gamma", offsetof(DiffusionSpec, min_snr_gamma)},
    {"sigma_data", offsetof(DiffusionSpec, sigma_data)},
    {"rho", offsetof(DiffusionSpec, rho)},
    {"sigma_min", offsetof(DiffusionSpec, sigma_min)},
    {"sigma_max", offsetof(DiffusionSpec, sigma_max)},
    {"edm_mean", offsetof(DiffusionSpec, edm_mean)},
    {"edm_std", offsetof(DiffusionSpec, edm_std)},
};

static int with_where(int rc, const char *where) {
  if (rc) {
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", vdmc_error_message());
    return vdmc_fail(rc, "%s: %s", where, msg);
  }
  return rc;
}

// The number key named `key`, or NULL.
static const NumberKey *number_key(const char *key) {
  for (size_t i = 0; i < sizeof kNumbers / sizeof kNumbers[0]; i++)
    if (!strcmp(key, kNumbers[i].key)) return &kNumbers[i];
  return NULL;
}

int diffusion_spec_set(DiffusionSpec *spec, const char *key, const char *value, const char *where) {
  const NumberKey *num = number_key(key);
  int is_kind = !strcmp(key, "schedule") || !strcmp(key, "weighting") || !strcmp(key, "parameterization");
  // an unknown key is reported as unknown even when no value follows it
  if (!num && !is_kind) return vdmc_fail(VDMC_ERR_INPUT, "%s: unknown diffusion key '%s'", where, key);
  if (!value) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", where);
  if (!strcmp(key, "schedule")) return with_where(schedule_kind_parse(value, &spec->schedule, &spec->shifted_schedule), where);
  if (!strcmp(key, "weighting")) return with_where(weighting_kind_parse(value, &spec->weighting), where);
  if (!strcmp(key, "parameterization")) return with_where(pred_kind_parse(value, &spec->pred), where);
  char *end;
  double v = strtod(value, &end);
  if (end == value || *end || !isfinite(v))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: expected a finite number, got '%s'", where, value);
  *(double *)((char *)spec + num->offset) = v;
  return VDMC_OK;
}

int diffusion_spec_build(const DiffusionSpec *spec, Schedule *s, Weighting *w) {
  if (!(spec->resolution > 0 && spec->shift_base > 0))
    return vdmc_fail(VDMC_ERR_INPUT, "diffusion: resolution and shift_base must be > 0, got %g and %g",
                     spec->resolution, spec->shift_base);
  double shift = log(spec->shift_base / spec->resolution);
  schedule_defaults(s, spec->schedule);
  s->rho = spec->rho;
  s->sigma_min = spec->sigma_min;
  s->sigma_max = spec->sigma_max;
  s->edm_mean = spec->edm_mean;
  s->edm_std = spec->edm_std;
  if (spec->schedule == SCHEDULE_EDM_SAMPLE) {  // natural range from the (possibly changed) sigmas
    s->lambda_min = -2 * log(s->sigma_max);
    s->lambda_max = -2 * log(s->sigma_min);
  }
  if (!isnan(spec->lambda_min)) s->lambda_min = spec->lambda_min;
  if (!isnan(spec->lambda_max)) s->lambda_max = spec->lambda_max;
  s->shift = spec->shifted_schedule ? shift : 0;
  weighting_defaults(w, spec->weighting);
  w->shift = shift;
  w->bias = spec->bias;
  w->p2_k = spec->p2_k;
  w->p2_gamma = spec->p2_gamma;
  w->min_snr_gamma = spec->min_snr_gamma;
  w->sigma_data = spec->sigma_data;
  w->edm_mean = spec->edm_mean;
  w->edm_std = spec->edm_std;
  int rc = weighting_prepare(w);
  if (rc) return rc;
  if (s->kind == SCHEDULE_ADAPTIVE || s->kind == SCHEDULE_LEARNED) return VDMC_OK;
  return schedule_prepare(s);
}
