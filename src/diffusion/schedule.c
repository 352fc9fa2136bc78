#include "diffusion/schedule.h"

#include <math.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/adaptive.h"
#include "diffusion/names.h"
#include "diffusion/schedule_learned.h"
#include "diffusion/stable_math.h"

// The untruncated distribution of lambda of one schedule, in the shifted
// coordinate l (= lambda - 2s for analytic kinds). upper(l) = f^-1(l) = P(L > l),
// lower(l) = P(L < l); from_upper/from_lower invert them; pdf = p(l).
typedef struct {
  double (*upper)(const Schedule *s, double l);
  double (*lower)(const Schedule *s, double l);
  double (*from_upper)(const Schedule *s, double q);
  double (*from_lower)(const Schedule *s, double q);
  double (*pdf)(const Schedule *s, double l);
  int native_range;  // 1: defined directly on [lambda_min, lambda_max] (t0 = 0, t1 = 1)
} ScheduleFns;

// ---- cosine: f(t) = -2 log tan(pi t / 2); f^-1 = (2/pi) atan(e^{-l/2}); p = sech(l/2)/(2 pi)
static double cos_upper(const Schedule *s, double l) { return (2 / DM_PI) * atan(exp(-0.5 * l)); }
static double cos_lower(const Schedule *s, double l) { return (2 / DM_PI) * atan(exp(0.5 * l)); }
static double cos_from_upper(const Schedule *s, double q) { return -2 * log(tan(0.5 * DM_PI * q)); }
static double cos_from_lower(const Schedule *s, double q) { return 2 * log(tan(0.5 * DM_PI * q)); }
static double cos_pdf(const Schedule *s, double l) { return dm_sech(0.5 * l) / (2 * DM_PI); }

// ---- EDM training: lambda ~ N(m, sd^2) (Eq. 44: lambda = -2 log sigma, log sigma ~ N(-1.2, 1.2^2))
static double edm_upper(const Schedule *s, double l) { return dm_normal_cdf((s->edm_mean - l) / s->edm_std); }
static double edm_lower(const Schedule *s, double l) { return dm_normal_cdf((l - s->edm_mean) / s->edm_std); }
static double edm_from_upper(const Schedule *s, double q) { return s->edm_mean - s->edm_std * dm_normal_quantile(q); }
static double edm_from_lower(const Schedule *s, double q) { return s->edm_mean + s->edm_std * dm_normal_quantile(q); }
static double edm_pdf(const Schedule *s, double l) { return exp(dm_normal_log_pdf(l, s->edm_mean, s->edm_std)); }

// ---- EDM sampling: e^{-l/(2 rho)} = A + (1 - t)(B - A), A = sigma_max^{1/rho}, B = sigma_min^{1/rho}.
// Defined for every l (e^{-l/(2rho)} > 0), so truncation beyond the natural range
// [-2 log sigma_max, -2 log sigma_min] uses the same closed form.
static double rho_a(const Schedule *s) { return pow(s->sigma_max, 1 / s->rho); }
static double rho_b(const Schedule *s) { return pow(s->sigma_min, 1 / s->rho); }
static double es_upper(const Schedule *s, double l) {
  return (rho_b(s) - exp(-l / (2 * s->rho))) / (rho_b(s) - rho_a(s));
}
static double es_lower(const Schedule *s, double l) {
  return (exp(-l / (2 * s->rho)) - rho_a(s)) / (rho_b(s) - rho_a(s));
}
static double es_from_upper(const Schedule *s, double q) {
  return -2 * s->rho * log(rho_b(s) - q * (rho_b(s) - rho_a(s)));
}
static double es_from_lower(const Schedule *s, double q) {
  return -2 * s->rho * log(rho_a(s) + q * (rho_b(s) - rho_a(s)));
}
static double es_pdf(const Schedule *s, double l) {
  return exp(-l / (2 * s->rho)) / (2 * s->rho * (rho_a(s) - rho_b(s)));
}

// ---- flow matching OT: f(t) = 2 log((1-t)/t); f^-1 = sigmoid(-l/2); p = sech^2(l/4)/8
static double fm_upper(const Schedule *s, double l) { return dm_sigmoid(-0.5 * l); }
static double fm_lower(const Schedule *s, double l) { return dm_sigmoid(0.5 * l); }
static double fm_from_upper(const Schedule *s, double q) { return 2 * (log1p(-q) - log(q)); }
static double fm_from_lower(const Schedule *s, double q) { return 2 * (log(q) - log1p(-q)); }
static double fm_pdf(const Schedule *s, double l) { return 0.5 * dm_sigmoid(0.5 * l) * dm_sigmoid(-0.5 * l); }

// ---- VDM linear in gamma: lambda = lambda_max - (lambda_max - lambda_min) t
static double span(const Schedule *s) { return s->lambda_max - s->lambda_min; }
static double lin_upper(const Schedule *s, double l) { return (s->lambda_max - l) / span(s); }
static double lin_lower(const Schedule *s, double l) { return (l - s->lambda_min) / span(s); }
static double lin_from_upper(const Schedule *s, double q) { return s->lambda_max - q * span(s); }
static double lin_from_lower(const Schedule *s, double q) { return s->lambda_min + q * span(s); }
static double lin_pdf(const Schedule *s, double l) { return 1 / span(s); }

// ---- adaptive (App. F): piecewise-constant density over 100 bins
static double ad_upper(const Schedule *s, double l) { return adaptive_upper(s->adaptive, l); }
static double ad_lower(const Schedule *s, double l) { return adaptive_lower(s->adaptive, l); }
static double ad_from_upper(const Schedule *s, double q) { return adaptive_from_upper(s->adaptive, q); }
static double ad_from_lower(const Schedule *s, double q) { return adaptive_from_lower(s->adaptive, q); }
static double ad_pdf(const Schedule *s, double l) { return adaptive_density(s->adaptive, l); }

// ---- learned (VDM App. H): t(lambda) by bisection, p = -1 / lambda'(t)
static double ln_upper(const Schedule *s, double l) { return learned_time(s->learned, l); }
static double ln_lower(const Schedule *s, double l) { return 1 - learned_time(s->learned, l); }
static double ln_from_upper(const Schedule *s, double q) { return learned_lambda(s->learned, q); }
static double ln_from_lower(const Schedule *s, double q) { return learned_lambda(s->learned, 1 - q); }
static double ln_pdf(const Schedule *s, double l) {
  if (l < s->lambda_min || l > s->lambda_max) return 0;
  return -1 / learned_dlambda_dt(s->learned, learned_time(s->learned, l));
}

static const char *const kNames[SCHEDULE_KIND_COUNT] = {
    [SCHEDULE_COSINE] = "cosine", [SCHEDULE_EDM_TRAIN] = "edm-training", [SCHEDULE_EDM_SAMPLE] = "edm-sampling",
    [SCHEDULE_FM_OT] = "fm-ot",   [SCHEDULE_LINEAR] = "linear",          [SCHEDULE_ADAPTIVE] = "adaptive",
    [SCHEDULE_LEARNED] = "learned"};

static const ScheduleFns kFns[SCHEDULE_KIND_COUNT] = {
    [SCHEDULE_COSINE] = {cos_upper, cos_lower, cos_from_upper, cos_from_lower, cos_pdf, 0},
    [SCHEDULE_EDM_TRAIN] = {edm_upper, edm_lower, edm_from_upper, edm_from_lower, edm_pdf, 0},
    [SCHEDULE_EDM_SAMPLE] = {es_upper, es_lower, es_from_upper, es_from_lower, es_pdf, 0},
    [SCHEDULE_FM_OT] = {fm_upper, fm_lower, fm_from_upper, fm_from_lower, fm_pdf, 0},
    [SCHEDULE_LINEAR] = {lin_upper, lin_lower, lin_from_upper, lin_from_lower, lin_pdf, 1},
    [SCHEDULE_ADAPTIVE] = {ad_upper, ad_lower, ad_from_upper, ad_from_lower, ad_pdf, 1},
    [SCHEDULE_LEARNED] = {ln_upper, ln_lower, ln_from_upper, ln_from_lower, ln_pdf, 1},
};

static double lambda_offset(const Schedule *s) { return kFns[s->kind].native_range ? 0 : 2 * s->shift; }

void schedule_defaults(Schedule *s, ScheduleKind kind) {
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->lambda_min = -20;
  s->lambda_max = 20;
  s->edm_mean = 2.4;  // -2 * P_mean, P_mean = -1.2
  s->edm_std = 2.4;   // 2 * P_std,   P_std = 1.2
  s->rho = 7;
  s->sigma_min = 0.002;
  s->sigma_max = 80;
  if (kind == SCHEDULE_EDM_SAMPLE) {
    s->lambda_min = -2 * log(s->sigma_max);
    s->lambda_max = -2 * log(s->sigma_min);
  }
}

int schedule_prepare(Schedule *s) {
  if ((unsigned)s->kind >= SCHEDULE_KIND_COUNT)
    return vdmc_fail(VDMC_ERR_INTERNAL, "schedule: bad kind %d", (int)s->kind);
  const char *name = kNames[s->kind];
  if (!(isfinite(s->lambda_min) && isfinite(s->lambda_max) && s->lambda_min < s->lambda_max))
    return vdmc_fail(VDMC_ERR_INPUT, "schedule %s: need finite lambda_min < lambda_max, got [%g, %g]", name,
                     s->lambda_min, s->lambda_max);
  if (!isfinite(s->shift)) return vdmc_fail(VDMC_ERR_INPUT, "schedule %s: shift %g is not finite", name, s->shift);
  if (s->kind == SCHEDULE_EDM_TRAIN && !(s->edm_std > 0))
    return vdmc_fail(VDMC_ERR_INPUT, "schedule %s: edm std must be > 0, got %g", name, s->edm_std);
  if (s->kind == SCHEDULE_EDM_SAMPLE &&
      !(s->rho > 0 && s->sigma_min > 0 && s->sigma_max > s->sigma_min))
    return vdmc_fail(VDMC_ERR_INPUT, "schedule %s: need rho > 0 and 0 < sigma_min < sigma_max (got %g, %g, %g)",
                     name, s->rho, s->sigma_min, s->sigma_max);
  if (s->kind == SCHEDULE_ADAPTIVE) {
    if (!s->adaptive) return vdmc_fail(VDMC_ERR_INTERNAL, "schedule adaptive: no bins attached");
    if (s->adaptive->lambda_min != s->lambda_min || s->adaptive->lambda_max != s->lambda_max)
      return vdmc_fail(VDMC_ERR_INTERNAL, "schedule adaptive: bins span a different lambda range");
  }
  if (s->kind == SCHEDULE_LEARNED) {
    if (!s->learned) return vdmc_fail(VDMC_ERR_INTERNAL, "schedule learned: no network attached");
    if (s->learned->lambda_min != s->lambda_min || s->learned->lambda_max != s->lambda_max)
      return vdmc_fail(VDMC_ERR_INTERNAL, "schedule learned: network spans a different lambda range");
    int rc = learned_check(s->learned);
    if (rc) return rc;
  }
  if (kFns[s->kind].native_range) {
    s->t0 = 0;
    s->one_minus_t1 = 0;
    s->mass = 1;
    return VDMC_OK;
  }
  double off = lambda_offset(s);
  s->t0 = kFns[s->kind].upper(s, s->lambda_max - off);          // Eq. 128
  s->one_minus_t1 = kFns[s->kind].lower(s, s->lambda_min - off);  // 1 - Eq. 129
  s->mass = 1 - s->t0 - s->one_minus_t1;
  if (!(s->mass > 0 && isfinite(s->mass)))
    return vdmc_fail(VDMC_ERR_INPUT, "schedule %s: no probability mass in [%g, %g]", name, s->lambda_min,
                     s->lambda_max);
  return VDMC_OK;
}

// Eq. 127: f~(t) = f(t0 + (t1 - t0) t), inverted through whichever tail is small.
double schedule_lambda(const Schedule *s, double t) {
  if (t <= 0) return s->lambda_max;
  if (t >= 1) return s->lambda_min;
  if (s->kind == SCHEDULE_LEARNED) return learned_lambda(s->learned, t);
  const ScheduleFns *f = &kFns[s->kind];
  double q_up = s->t0 + s->mass * t, q_lo = s->one_minus_t1 + s->mass * (1 - t);
  double l = q_up <= 0.5 ? f->from_upper(s, q_up) : f->from_lower(s, q_lo);
  l += lambda_offset(s);
  return fmin(fmax(l, s->lambda_min), s->lambda_max);
}

// Eq. 130: f~^-1(lambda) = (f^-1(lambda) - t0) / (t1 - t0)
double schedule_time(const Schedule *s, double lambda) {
  if (lambda >= s->lambda_max) return 0;
  if (lambda <= s->lambda_min) return 1;
  const ScheduleFns *f = &kFns[s->kind];
  double l = lambda - lambda_offset(s);
  double up = f->upper(s, l);
  double t = up <= 0.5 ? (up - s->t0) / s->mass : 1 - (f->lower(s, l) - s->one_minus_t1) / s->mass;
  return fmin(fmax(t, 0.0), 1.0);
}

// Eq. 131-132
double schedule_density(const Schedule *s, double lambda) {
  if (lambda < s->lambda_min || lambda > s->lambda_max) return 0;
  return kFns[s->kind].pdf(s, lambda - lambda_offset(s)) / s->mass;
}

double schedule_dlambda_dt(const Schedule *s, double t) {
  if (s->kind == SCHEDULE_LEARNED) return learned_dlambda_dt(s->learned, t);
  return -1 / schedule_density(s, schedule_lambda(s, t));
}

int schedule_kind_parse(const char *name, ScheduleKind *out, int *shifted) {
  if (shifted) *shifted = 0;
  if (name && !strcmp(name, "shifted-cosine")) {  // cosine + shift from the resolution
    *out = SCHEDULE_COSINE;
    if (shifted) *shifted = 1;
    return VDMC_OK;
  }
  int k = 0, rc = diffusion_name_parse(name, kNames, SCHEDULE_KIND_COUNT, "noise schedule", "shifted-cosine", &k);
  if (!rc) *out = (ScheduleKind)k;
  return rc;
}

const char *schedule_kind_name(ScheduleKind kind) {
  return diffusion_name_of(kNames, SCHEDULE_KIND_COUNT, (int)kind);
}

double schedule_shift_for_resolution(double resolution) { return log(64.0 / resolution); }
