// DDPM ancestral sampler and EDM Heun sampler (stochastic and ODE) over a Denoiser;
// the DPM-Solver++ samplers are in sampler_dpm.c.
// Scalar coefficients in float64, state float32. Legend: B batch, D values per sample.
#include "sample/sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "sample/sampler_internal.h"

static const char *kNames[SAMPLER_KIND_COUNT] = {"ddpm", "edm", "ode", "dpmpp-2m", "dpmpp-3m-sde"};

int sampler_kind_parse(const char *name, SamplerKind *out) {
  for (int k = 0; k < SAMPLER_KIND_COUNT; k++)
    if (!strcmp(name, kNames[k])) {
      *out = (SamplerKind)k;
      return VDMC_OK;
    }
  return vdmc_fail(VDMC_ERR_INPUT, "--sampler: unknown sampler '%s' (expected ddpm, edm, ode, dpmpp-2m or "
                   "dpmpp-3m-sde)", name);
}

const char *sampler_kind_name(SamplerKind kind) {
  return (unsigned)kind < SAMPLER_KIND_COUNT ? kNames[kind] : "?";
}

int sampler_default_steps(SamplerKind kind) {
  return kind == SAMPLER_DPMPP_2M || kind == SAMPLER_DPMPP_3M_SDE ? 20 : 256;  // DPM-Solver++: few evaluations
}

int sampler_defaults(SamplerOptions *o, SamplerKind kind, double lambda_min, double lambda_max) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->steps = sampler_default_steps(kind);
  o->s_noise = 1;
  o->s_tmax = INFINITY;
  if (kind == SAMPLER_DDPM) {
    schedule_defaults(&o->schedule, SCHEDULE_COSINE);
    o->schedule.lambda_min = lambda_min;
    o->schedule.lambda_max = lambda_max;
  } else {
    schedule_defaults(&o->schedule, SCHEDULE_EDM_SAMPLE);
  }
  if (kind == SAMPLER_EDM) {  // Karras et al. 2022, Table 5, ImageNet-64
    o->s_churn = 80;
    o->s_tmin = 0.05;
    o->s_tmax = 50;
    o->s_noise = 1.003;
  }
  return schedule_prepare(&o->schedule);
}

int sampler_set_schedule(SamplerOptions *o, const char *name, const Schedule *trained, double lambda_min,
                         double lambda_max, double shift) {
  ScheduleKind kind;
  int shifted, rc = schedule_kind_parse(name, &kind, &shifted);
  if (rc) return vdmc_fail(rc, "--schedule: unknown schedule '%s' (expected cosine, shifted-cosine, edm-training, "
                           "edm-sampling, fm-ot, linear, adaptive or learned)", name);
  // adaptive and learned: the run's own trained schedule (as VDM samples with its learned one)
  if (kind == SCHEDULE_ADAPTIVE && (!trained || trained->kind != SCHEDULE_ADAPTIVE))
    return vdmc_fail(VDMC_ERR_INPUT, "--schedule adaptive: the run was not trained with diffusion.adaptive");
  if (kind == SCHEDULE_LEARNED && (!trained || trained->kind != SCHEDULE_LEARNED))
    return vdmc_fail(VDMC_ERR_INPUT, "--schedule learned: the run was not trained with diffusion.schedule learned");
  if (kind == SCHEDULE_ADAPTIVE || kind == SCHEDULE_LEARNED) {
    o->schedule = *trained;
    return VDMC_OK;
  }
  schedule_defaults(&o->schedule, kind);
  if (kind != SCHEDULE_EDM_SAMPLE) {
    o->schedule.lambda_min = lambda_min;
    o->schedule.lambda_max = lambda_max;
  }
  o->schedule.shift = shifted ? shift : 0;
  return schedule_prepare(&o->schedule);
}

int sampler_evaluations(const SamplerOptions *o) {
  return o->kind == SAMPLER_EDM || o->kind == SAMPLER_ODE ? 2 * o->steps - 1 : o->steps;
}

int guidance_work_alloc(GuidanceWork *w, int B, size_t D) {
  size_t n = 2 * (size_t)B * D;
  w->z2 = malloc(n * sizeof(float));
  w->out2 = malloc(n * sizeof(float));
  w->lambda2 = malloc(2 * (size_t)B * sizeof(double));
  w->labels2 = malloc(2 * (size_t)B * sizeof(int));
  if (w->z2 && w->out2 && w->lambda2 && w->labels2) return VDMC_OK;
  guidance_work_free(w);
  return vdmc_fail(VDMC_ERR_MEMORY, "sampler: out of memory for a batch of %d x %zu values", B, D);
}

void guidance_work_free(GuidanceWork *w) {
  free(w->z2);
  free(w->out2);
  free(w->lambda2);
  free(w->labels2);
  memset(w, 0, sizeof *w);
}

int sampler_guided_output(const Denoiser *d, double w, float *out, const float *z, double lambda,
                          const int *labels, int B, GuidanceWork *work) {
  size_t n = (size_t)B * d->D;
  if (w == 0 || !labels) {
    for (int b = 0; b < B; b++) work->lambda2[b] = lambda;
    return d->fn(d->ctx, out, z, work->lambda2, labels, B);
  }
  memcpy(work->z2, z, n * sizeof(float));
  memcpy(work->z2 + n, z, n * sizeof(float));
  for (int b = 0; b < 2 * B; b++) {
    work->lambda2[b] = lambda;
    work->labels2[b] = b < B ? labels[b] : d->num_classes;  // second half: the null class
  }
  int rc = d->fn(d->ctx, work->out2, work->z2, work->lambda2, work->labels2, 2 * B);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) out[i] = (float)((1 + w) * work->out2[i] - w * work->out2[n + i]);
  return VDMC_OK;
}

static int check_request(const SamplerOptions *o, const Denoiser *d, const int *labels, int B) {
  if (o->steps < 1) return vdmc_fail(VDMC_ERR_INPUT, "--steps: %d, need at least 1", o->steps);
  if (!(isfinite(o->guidance) && o->guidance >= 0))
    return vdmc_fail(VDMC_ERR_INPUT, "--guidance: %g, need a finite w >= 0", o->guidance);
  if (d->num_classes == 0 && o->guidance != 0)
    return vdmc_fail(VDMC_ERR_INPUT, "--guidance %g: the model is unconditional (model.num_classes = 0); "
                     "classifier-free guidance needs a class-conditional model", o->guidance);
  if (d->num_classes == 0 && labels)
    return vdmc_fail(VDMC_ERR_INPUT, "class labels given to an unconditional model (model.num_classes = 0)");
  if (d->num_classes > 0 && !labels)
    return vdmc_fail(VDMC_ERR_INPUT, "the model is class-conditional (%d classes): labels are needed",
                     d->num_classes);
  for (int b = 0; labels && b < B; b++)
    if (labels[b] < 0 || labels[b] > d->num_classes)
      return vdmc_fail(VDMC_ERR_INPUT, "label %d of sample %d is outside [0, %d] (%d = the null class)", labels[b],
                       b, d->num_classes, d->num_classes);
  int need = (o->guidance != 0 ? 2 : 1) * B;
  if (B < 1 || need > d->max_batch)
    return vdmc_fail(VDMC_ERR_INTERNAL, "sampler: batch %d needs %d network inputs, the model takes %d", B,
                     need, d->max_batch);
  return VDMC_OK;
}

void sampler_draw_noise(float *buf, const SamplerOptions *o, uint64_t first, int B, size_t D, uint64_t step) {
  for (int b = 0; b < B; b++) {
    RngStream s = {o->seed, RNG_SAMPLE, 0, step, first + (uint64_t)b};
    rng_normal(buf + (size_t)b * D, D, &s, 0);
  }
}

void sampler_start_ve(SamplerRun *r, float *x, double lambda0) {
  sampler_draw_noise(x, r->o, r->first, r->B, r->d->D, 0);
  const double sig = exp(-lambda0 / 2);
  for (size_t k = 0; k < r->n; k++) x[k] = (float)(sig * x[k]);
}

void sampler_progress(const SamplerRun *r, int step) {
  if (r->o->on_step) r->o->on_step(r->o->on_step_ctx, step, r->o->steps);
}

// DDPM (VDM notes Eq. 27-33), from t = 1 to 0 on the grid t_i = i/T. With
// c = 1 - e^{lambda_t - lambda_s} = sigma_{t|s}^2 / sigma_t^2:
//   z_s = (1-c) (alpha_s/alpha_t) z_t + c alpha_s x_hat + sigma_s sqrt(c) eps
// (Eq. 28's mean written with x_hat; equal to Eq. 31/33 with eps_hat), where
// x_hat = x_z z_t + x_out out is the parameterization's affine map. Returns z_0/alpha_0.
static int run_ddpm(SamplerRun *r, float *x) {
  const SamplerOptions *o = r->o;
  int T = o->steps;
  sampler_draw_noise(x, o, r->first, r->B, r->d->D, 0);  // z_1 ~ N(0, I); x holds z
  for (int i = T; i >= 1; i--) {
    double lt = schedule_lambda(&o->schedule, (double)i / T);
    double ls = schedule_lambda(&o->schedule, (double)(i - 1) / T);
    int rc = sampler_guided_output(r->d, o->guidance, r->out, x, lt, r->labels, r->B, &r->gw);
    if (rc) return rc;
    PredCoef pc = pred_coef(r->d->pred, lt, r->d->sigma_data);
    double at, st, as, ss;
    vp_alpha_sigma(lt, &at, &st);
    vp_alpha_sigma(ls, &as, &ss);
    double c = -expm1(lt - ls);
    double cz = (1 - c) * as / at + c * as * pc.x_z, co = c * as * pc.x_out, cn = ss * sqrt(c);
    sampler_draw_noise(r->a, o, r->first, r->B, r->d->D, (uint64_t)(T - i + 1));
    for (size_t k = 0; k < r->n; k++) x[k] = (float)(cz * x[k] + co * r->out[k] + cn * r->a[k]);
    sampler_progress(r, T - i + 1);
  }
  double a0, s0;
  vp_alpha_sigma(schedule_lambda(&o->schedule, 0), &a0, &s0);
  for (size_t k = 0; k < r->n; k++) x[k] = (float)(x[k] / a0);
  return VDMC_OK;
}

// EDM denoiser on the VE variable x = z / alpha at noise sigma = e^{-lambda/2}:
// D = x_hat(alpha x, lambda), written to r->out.
int sampler_denoise_ve(SamplerRun *r, const float *xve, double lambda) {
  double a, s;
  vp_alpha_sigma(lambda, &a, &s);
  for (size_t k = 0; k < r->n; k++) r->z[k] = (float)(a * xve[k]);
  int rc = sampler_guided_output(r->d, r->o->guidance, r->out, r->z, lambda, r->labels, r->B, &r->gw);
  if (rc) return rc;
  PredCoef pc = pred_coef(r->d->pred, lambda, r->d->sigma_data);
  for (size_t k = 0; k < r->n; k++) r->out[k] = (float)(pc.x_z * r->z[k] + pc.x_out * r->out[k]);
  return VDMC_OK;
}

// lambda_i of the EDM time grid: t_i = 1 - i/(N-1) (t = 1 is the noisiest end), so
// with the EDM sampling schedule sigma_i = e^{-lambda_i/2} is Karras et al.'s Eq. 5.
double sampler_grid_lambda(const Schedule *s, int i, int N) {
  return schedule_lambda(s, N > 1 ? 1 - (double)i / (N - 1) : 1);
}

// Karras et al. 2022 Alg. 2 (Alg. 1 when S_churn = 0) in VE form x = z/alpha,
// sigma_i = e^{-lambda_i/2} and sigma_N = 0; the network sees z = alpha(lambda) x at
// lambda = -2 log sigma.
static int run_edm(SamplerRun *r, float *x) {
  const SamplerOptions *o = r->o;
  int N = o->steps;
  double gmax = fmin(o->s_churn / N, sqrt(2.0) - 1);
  double lam = sampler_grid_lambda(&o->schedule, 0, N), sig = exp(-lam / 2);
  sampler_start_ve(r, x, lam);
  float *xh = r->a, *d1 = r->b;
  for (int i = 0; i < N; i++) {
    double lam_next = i + 1 < N ? sampler_grid_lambda(&o->schedule, i + 1, N) : INFINITY;
    double sig_next = i + 1 < N ? exp(-lam_next / 2) : 0;
    double gamma = (sig >= o->s_tmin && sig <= o->s_tmax) ? gmax : 0;
    double sig_h = sig * (1 + gamma), lam_h = lam - 2 * log1p(gamma);
    if (gamma > 0) {  // churn: raise the noise level from sig to sig_h
      sampler_draw_noise(xh, o, r->first, r->B, r->d->D, (uint64_t)(i + 1));
      double kn = sig * sqrt(gamma * (2 + gamma)) * o->s_noise;
      for (size_t k = 0; k < r->n; k++) xh[k] = (float)(x[k] + kn * xh[k]);
    } else {
      memcpy(xh, x, r->n * sizeof(float));
    }
    int rc = sampler_denoise_ve(r, xh, lam_h);
    if (rc) return rc;
    double h = sig_next - sig_h;
    for (size_t k = 0; k < r->n; k++) {
      d1[k] = (float)((xh[k] - r->out[k]) / sig_h);
      x[k] = (float)(xh[k] + h * d1[k]);  // Euler step
    }
    if (i + 1 < N) {  // Heun correction
      if ((rc = sampler_denoise_ve(r, x, lam_next))) return rc;
      for (size_t k = 0; k < r->n; k++) {
        double d2 = (x[k] - r->out[k]) / sig_next;
        x[k] = (float)(xh[k] + h * 0.5 * (d1[k] + d2));
      }
    }
    lam = lam_next;
    sig = sig_next;
    sampler_progress(r, i + 1);
  }
  return VDMC_OK;
}

int sampler_run(const SamplerOptions *o, const Denoiser *d, float *x, const int *labels, uint64_t first,
                int B) {
  int rc = check_request(o, d, labels, B);
  if (rc) return rc;
  SamplerRun r = {.o = o, .d = d, .labels = labels, .first = first, .B = B, .n = (size_t)B * d->D};
  r.z = malloc(r.n * sizeof(float));
  r.out = malloc(r.n * sizeof(float));
  r.a = malloc(r.n * sizeof(float));
  r.b = malloc(r.n * sizeof(float));
  r.c = malloc(r.n * sizeof(float));
  if (!r.z || !r.out || !r.a || !r.b || !r.c) {
    rc = vdmc_fail(VDMC_ERR_MEMORY, "sampler: out of memory for a batch of %d x %zu values", B, d->D);
  } else if (!(rc = guidance_work_alloc(&r.gw, B, d->D))) {
    switch (o->kind) {
      case SAMPLER_DDPM: rc = run_ddpm(&r, x); break;
      case SAMPLER_DPMPP_2M: rc = sampler_run_dpmpp_2m(&r, x); break;
      case SAMPLER_DPMPP_3M_SDE: rc = sampler_run_dpmpp_3m_sde(&r, x); break;
      default: rc = run_edm(&r, x); break;
    }
    guidance_work_free(&r.gw);
  }
  free(r.z);
  free(r.out);
  free(r.a);
  free(r.b);
  free(r.c);
  return rc;
}
