// Samplers (src/sample/sampler.h) with the analytic optimal denoiser of Gaussian data
// x ~ N(mu_d, s_d^2): DDPM, EDM and ODE samples match the data's mean and variance
// within sampling error for every parameterization; the ODE is deterministic for a
// seed; samples do not depend on the batch split; guidance mixes the conditional and
// null outputs; bad requests fail with a message.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "gaussian_denoiser.h"
#include "sample/sampler.h"

#define D 2
static const double kMu[D] = {0.3, -0.5}, kS[D] = {0.5, 0.2};
#define K 3              // classes of the conditional model
#define CLASS_SHIFT 0.25  // class c has mean mu + CLASS_SHIFT * (c + 1); null class: mu

static GaussDenoiser gauss(PredKind pred, int fixed_class) {
  GaussDenoiser g = {pred, D, kMu, kS, CLASS_SHIFT, K, fixed_class, 0};
  return g;
}

static double class_mean(int d, int label) {
  GaussDenoiser g = gauss(PRED_EPS, -1);
  return gd_mean(&g, d, label);
}

// A denoiser for unconditional (num_classes 0) or K-class requests.
static Denoiser make_denoiser(GaussDenoiser *g, int num_classes, int max_batch) {
  Denoiser d = gd_denoiser(g, max_batch);
  d.num_classes = num_classes;
  return d;
}

// Mean and variance of every dimension against (mean_d, s_d^2), within 4.5 standard errors.
static void check_moments(const float *x, int N, const double *mean, const char *what) {
  for (int d = 0; d < D; d++) {
    double s1 = 0, s2 = 0;
    for (int i = 0; i < N; i++) s1 += x[i * D + d];
    double m = s1 / N;
    for (int i = 0; i < N; i++) s2 += (x[i * D + d] - m) * (x[i * D + d] - m);
    double v = s2 / (N - 1), var = kS[d] * kS[d];
    double se_m = kS[d] / sqrt(N), se_v = var * sqrt(2.0 / (N - 1));
    printf("%-28s dim %d: mean %.4f (want %.4f, se %.4f) var %.5f (want %.5f, se %.5f)\n", what, d, m, mean[d],
           se_m, v, var, se_v);
    CHECK(fabs(m - mean[d]) < 4.5 * se_m, "%s dim %d: mean %g vs %g", what, d, m, mean[d]);
    CHECK(fabs(v - var) < 4.5 * se_v, "%s dim %d: variance %g vs %g", what, d, v, var);
  }
}

static float *sample(SamplerKind kind, int steps, PredKind pred, int N, uint64_t seed, double w,
                     const int *labels, int num_classes) {
  GaussDenoiser g = gauss(pred, -1);
  Denoiser den = make_denoiser(&g, num_classes, 2 * N);
  SamplerOptions o;
  CHECK(sampler_defaults(&o, kind, -20, 20) == VDMC_OK, "defaults");
  o.steps = steps;
  o.seed = seed;
  o.guidance = w;
  float *x = malloc((size_t)N * D * sizeof(float));
  int rc = sampler_run(&o, &den, x, labels, 0, N);
  CHECK(rc == VDMC_OK, "sampler %s: %s", sampler_kind_name(kind), vdmc_error_message());
  CHECK(g.calls == sampler_evaluations(&o), "%s: %d network calls, expected %d", sampler_kind_name(kind),
        g.calls, sampler_evaluations(&o));
  return x;
}

// (the parameterizations give the same samples, check_parameterizations_agree, so the
// moments are checked for one or two of them per sampler)
static void check_gaussian_moments(void) {
  const int N = 5000;
  float *x = sample(SAMPLER_DDPM, 1000, PRED_EPS, N, 1, 0, NULL, 0);
  check_moments(x, N, kMu, "ddpm 1000 steps, eps");
  free(x);
  x = sample(SAMPLER_EDM, 256, PRED_EPS, N, 2, 0, NULL, 0);
  check_moments(x, N, kMu, "edm 256 steps, eps");
  free(x);
  x = sample(SAMPLER_EDM, 256, PRED_F, N, 3, 0, NULL, 0);
  check_moments(x, N, kMu, "edm 256 steps, F");
  free(x);
  x = sample(SAMPLER_ODE, 128, PRED_V, N, 4, 0, NULL, 0);
  check_moments(x, N, kMu, "ode 128 steps, v");
  free(x);
}

// The parameterizations are the same model: their samples agree up to float rounding.
static void check_parameterizations_agree(void) {
  const int N = 64;
  for (int k = 0; k < SAMPLER_KIND_COUNT; k++) {
    float *ref = sample((SamplerKind)k, 50, PRED_EPS, N, 7, 0, NULL, 0);
    for (int p = 1; p < PRED_KIND_COUNT; p++) {
      float *x = sample((SamplerKind)k, 50, (PredKind)p, N, 7, 0, NULL, 0);
      double err = 0;
      for (int i = 0; i < N * D; i++) err = fmax(err, fabs(x[i] - ref[i]));
      CHECK(err < 2e-3, "%s: %s vs eps differ by %g", sampler_kind_name((SamplerKind)k),
            pred_kind_name((PredKind)p), err);
      free(x);
    }
    free(ref);
  }
}

static void check_ode_deterministic(void) {
  const int N = 32;
  float *a = sample(SAMPLER_ODE, 20, PRED_EPS, N, 11, 0, NULL, 0);
  float *b = sample(SAMPLER_ODE, 20, PRED_EPS, N, 11, 0, NULL, 0);
  float *c = sample(SAMPLER_ODE, 20, PRED_EPS, N, 12, 0, NULL, 0);
  CHECK(!memcmp(a, b, (size_t)N * D * sizeof(float)), "ode: same seed, same samples");
  CHECK(memcmp(a, c, (size_t)N * D * sizeof(float)) != 0, "ode: another seed, other samples");
  free(a);
  free(b);
  free(c);
}

// One batch of 8 equals batches of 3 + 5 started at global indices 0 and 3.
static void check_batch_independence(void) {
  enum { N = 8 };
  for (int k = 0; k < SAMPLER_KIND_COUNT; k++) {
    GaussDenoiser g = gauss(PRED_EPS, -1);
    Denoiser den = make_denoiser(&g, 0, N);
    SamplerOptions o;
    sampler_defaults(&o, (SamplerKind)k, -20, 20);
    o.steps = 16;
    o.seed = 5;
    float whole[N * D], parts[N * D];
    int rc = sampler_run(&o, &den, whole, NULL, 0, N);
    rc |= sampler_run(&o, &den, parts, NULL, 0, 3);
    rc |= sampler_run(&o, &den, parts + 3 * D, NULL, 3, 5);
    CHECK(rc == VDMC_OK, "batch split runs");
    CHECK(!memcmp(whole, parts, sizeof whole), "%s: samples depend on the batch split",
          sampler_kind_name((SamplerKind)k));
  }
}

static void check_guidance(void) {
  // the guided output against two separate calls
  enum { B = 4 };
  GaussDenoiser g = gauss(PRED_V, -1);
  Denoiser den = make_denoiser(&g, K, 2 * B);
  GuidanceWork gw;
  CHECK(guidance_work_alloc(&gw, B, D) == VDMC_OK, "work");
  float z[B * D], out[B * D], cond[B * D], unc[B * D];
  int labels[B] = {0, 1, 2, 1}, nulls[B] = {K, K, K, K};
  double lam[B] = {1.5, 1.5, 1.5, 1.5};
  fill_uniform(z, B * D, 3, -2, 2);
  gd_fn(&g, cond, z, lam, labels, B);
  gd_fn(&g, unc, z, lam, nulls, B);
  g.calls = 0;
  sampler_guided_output(&den, 2.0, out, z, 1.5, labels, B, &gw);
  CHECK(g.calls == 1, "guided output: one batched call (got %d)", g.calls);
  for (int i = 0; i < B * D; i++) CHECK_CLOSE(out[i], 3.0 * cond[i] - 2.0 * unc[i], 1e-5, 1e-6, "(1+w) c - w u");
  sampler_guided_output(&den, 0.0, out, z, 1.5, labels, B, &gw);
  CHECK(!memcmp(out, cond, sizeof out), "w = 0: the conditional output");
  guidance_work_free(&gw);

  // w = 0 samples equal those of a model that only knows class 1
  enum { N = 16 };
  int lab1[N];
  for (int i = 0; i < N; i++) lab1[i] = 1;
  float *x = sample(SAMPLER_EDM, 24, PRED_EPS, N, 9, 0, lab1, K);
  GaussDenoiser only = gauss(PRED_EPS, 1);
  Denoiser dn = make_denoiser(&only, 0, N);
  SamplerOptions o;
  sampler_defaults(&o, SAMPLER_EDM, -20, 20);
  o.steps = 24;
  o.seed = 9;
  float y[N * D];
  CHECK(sampler_run(&o, &dn, y, NULL, 0, N) == VDMC_OK, "class-1 model");
  CHECK(!memcmp(x, y, sizeof y), "guidance w = 0 equals the conditional model");
  free(x);

  // Gaussian classes: guided eps~ is the optimal denoiser of N((1+w) mu_c - w mu_null, s^2),
  // so guided samples have that mean and the data variance.
  const int M = 5000;
  double w = 1.5, mean[D];
  int *lab = malloc(M * sizeof(int));
  for (int i = 0; i < M; i++) lab[i] = 2;
  for (int d = 0; d < D; d++) mean[d] = (1 + w) * class_mean(d, 2) - w * class_mean(d, K);
  x = sample(SAMPLER_DDPM, 500, PRED_F, M, 4, w, lab, K);
  check_moments(x, M, mean, "ddpm guided w=1.5, F");
  free(x);
  free(lab);
}

static void check_bad_requests(void) {
  GaussDenoiser g = gauss(PRED_EPS, -1);
  float x[4 * D];
  int labels[4] = {0, 1, 2, 3};
  struct {
    int num_classes, steps, B, max_batch, use_labels;
    double w;
    const char *expect;
  } cases[] = {
      {0, 0, 2, 4, 0, 0, "--steps"},
      {0, 10, 2, 4, 0, 1, "unconditional"},
      {0, 10, 2, 4, 1, 0, "unconditional"},
      {3, 10, 2, 4, 0, 0, "labels are needed"},
      {2, 10, 4, 4, 1, 0, "label 3 of sample 3 is outside [0, 2]"},
      {3, 10, 3, 4, 1, 2, "network inputs"},
      {3, 10, 2, 4, 1, -1, "--guidance"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Denoiser den = make_denoiser(&g, cases[i].num_classes, cases[i].max_batch);
    SamplerOptions o;
    sampler_defaults(&o, SAMPLER_DDPM, -20, 20);
    o.steps = cases[i].steps;
    o.guidance = cases[i].w;
    int rc = sampler_run(&o, &den, x, cases[i].use_labels ? labels : NULL, 0, cases[i].B);
    CHECK(rc != VDMC_OK && strstr(vdmc_error_message(), cases[i].expect),
          "bad request %zu: rc %d, message '%s' should name '%s'", i, rc, vdmc_error_message(), cases[i].expect);
  }
  SamplerKind k;
  CHECK(sampler_kind_parse("heun", &k) != VDMC_OK && strstr(vdmc_error_message(), "dpmpp-2m or dpmpp-3m-sde"),
        "unknown sampler name: %s", vdmc_error_message());
  CHECK(sampler_kind_parse("edm", &k) == VDMC_OK && k == SAMPLER_EDM, "edm parses");
}

int main(void) {
  check_bad_requests();
  check_guidance();
  check_batch_independence();
  check_ode_deterministic();
  check_parameterizations_agree();
  check_gaussian_moments();
  return check_finish("sampler");
}
