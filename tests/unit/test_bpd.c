// Bits/dim estimator (src/eval/bpd.h) with the analytic optimal denoiser of Gaussian
// data on 8-bit examples: the mean of each term (prior, reconstruction, diffusion)
// and of the total matches direct numerical integration (tests/common/gaussian_model.h)
// within Monte Carlo error, on two schedules and for eps / v parameterizations; the
// estimate of an example does not depend on the batch it is in.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diffusion/elbo.h"
#include "eval/bpd.h"
#include "gaussian_denoiser.h"

#define D 6
static const uint8_t kBytes[D] = {0, 37, 128, 200, 255, 90};
static const double kMu[D] = {0, 0, 0, 0, 0, 0}, kS[D] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};

static void prepare(Schedule *s, ScheduleKind kind) {
  schedule_defaults(s, kind);
  s->lambda_min = -10;
  s->lambda_max = 10;
  schedule_prepare(s);
}

static ElboTerms *estimate(const Schedule *sch, PredKind pred, int N, int K, int max_batch, int per_call) {
  GaussDenoiser g = {pred, D, kMu, kS, 0, 0, -1, 0};
  Denoiser den = gd_denoiser(&g, max_batch);
  BpdOptions o = {&den, sch, K, 42};
  uint8_t *bytes = malloc((size_t)N * D);
  for (int i = 0; i < N; i++) memcpy(bytes + (size_t)i * D, kBytes, D);
  ElboTerms *t = malloc((size_t)N * sizeof *t);
  for (int i = 0; i < N; i += per_call) {
    int b = N - i < per_call ? N - i : per_call;
    CHECK(bpd_batch(&o, bytes + (size_t)i * D, NULL, (uint64_t)i, b, t + i) == VDMC_OK, "bpd_batch: %s",
          vdmc_error_message());
  }
  free(bytes);
  return t;
}

static void check_against_direct(ScheduleKind kind, PredKind pred) {
  const int N = 12000, K = 4;
  Schedule sch;
  prepare(&sch, kind);
  double ref[3], ref_total = gm_direct_nats(kBytes, D, 0, 0.5, -10, 10, ref);
  ElboTerms *t = estimate(&sch, pred, N, K, 64, 50);
  const char *names[3] = {"prior", "reconstruction", "diffusion"};
  double s1[4] = {0}, s2[4] = {0};
  for (int i = 0; i < N; i++) {
    double v[4] = {t[i].prior, t[i].recon, t[i].diffusion, t[i].prior + t[i].recon + t[i].diffusion};
    for (int j = 0; j < 4; j++) s1[j] += v[j], s2[j] += v[j] * v[j];
  }
  for (int j = 0; j < 4; j++) {
    double mean = s1[j] / N, se = sqrt(fmax(s2[j] / N - mean * mean, 0) / (N - 1));
    double want = j < 3 ? ref[j] : ref_total;
    double bpd = elbo_bits_per_dim(mean, D), bse = elbo_bits_per_dim(se, D), bref = elbo_bits_per_dim(want, D);
    printf("%s/%s %-15s %.5f +- %.5f bits/dim, direct %.5f\n", schedule_kind_name(kind), pred_kind_name(pred),
           j < 3 ? names[j] : "total", bpd, bse, bref);
    if (j == 3) CHECK(se < 0.02 * want, "total: se %g is too large to test anything", se);
    if (j == 0) CHECK_CLOSE(mean, want, 1e-6, 1e-12, "prior KL in closed form");
    else CHECK(fabs(mean - want) < 4 * se + 1e-9 * fabs(want), "%s: %g vs %g (se %g)", j < 3 ? names[j] : "total", mean, want, se);
  }
  free(t);
}

static void check_batching_and_parameterization(void) {
  Schedule sch;
  prepare(&sch, SCHEDULE_COSINE);
  ElboTerms *a = estimate(&sch, PRED_EPS, 10, 5, 7, 10);  // one call, pairs straddle network batches
  ElboTerms *b = estimate(&sch, PRED_EPS, 10, 5, 64, 1);  // one example per call
  ElboTerms *c = estimate(&sch, PRED_V, 10, 5, 64, 10);
  CHECK(!memcmp(a, b, 10 * sizeof *a), "an example's estimate depends on its batch");
  for (int i = 0; i < 10; i++)
    CHECK_CLOSE(c[i].diffusion, a[i].diffusion, 1e-4, 1e-6, "v and eps parameterizations agree");
  free(a);
  free(b);
  free(c);
  GaussDenoiser g = {PRED_EPS, D, kMu, kS, 0, 0, -1, 0};
  Denoiser den = gd_denoiser(&g, 4);
  BpdOptions o = {&den, &sch, 0, 1};
  ElboTerms t;
  CHECK(bpd_batch(&o, kBytes, NULL, 0, 1, &t) != VDMC_OK && strstr(vdmc_error_message(), "--t-samples"),
        "K = 0 is an error");
}

int main(void) {
  check_batching_and_parameterization();
  check_against_direct(SCHEDULE_COSINE, PRED_EPS);
  check_against_direct(SCHEDULE_LINEAR, PRED_V);
  return check_finish("bpd");
}
