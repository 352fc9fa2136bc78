// The feature statistics behind FID / Inception Score (eval/features.h) over a fake
// backend whose logits are chosen per image, so the split Inception Score has closed
// forms: uniform predictions -> 1; one-hot over K balanced classes -> K; one-hot with
// class histogram h per split -> exp(entropy(h)). Also against a direct float64
// computation written here (random probabilities, batches fed out of order and in
// pieces), the split boundaries, the FID statistics of the features, and the errors.
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "eval/features.h"

// Fake network, 1x1x1 images: image byte v gives features (v, v^2 / 256) and the logits
// row v of g_logits (K per row).
#define FK 4
static float g_logits[256][FK];

static int fake_load(FeatureNet *f, const char *path) {
  (void)f;
  (void)path;
  return VDMC_OK;
}

static int fake_forward(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C, float *feat,
                        float *logits) {
  (void)H, (void)W, (void)C;
  for (int i = 0; i < B; i++) {
    feat[i * 2] = images[i];
    feat[i * 2 + 1] = images[i] * images[i] / 256.0f;
    memcpy(logits + (size_t)i * f->K, g_logits[images[i]], (size_t)f->K * sizeof(float));
  }
  return VDMC_OK;
}

static void fake_free(FeatureNet *f) { (void)f; }

static const FeatureBackend FAKE = {"fake", fake_load, fake_forward, fake_free};

static FeatureNet fake_net(int K, int max_batch) {
  FeatureNet f;
  memset(&f, 0, sizeof f);
  f.backend = &FAKE;
  f.F = 2;
  f.K = K;
  f.H = f.W = 1;
  f.channels = 1u << 1;
  f.max_batch = max_batch;
  snprintf(f.path, sizeof f.path, "fake");
  return f;
}

// Feeds images[0..n) in pieces of `piece` (last piece first), summarizes.
static int summarize(FeatureNet *f, const uint8_t *images, const int32_t *labels, long long n, int S, int piece,
                     FeatureSummary *out, FeatureAccum *keep) {
  FeatureAccum a;
  int st = feature_accum_init(&a, f, n, S);
  for (long long hi = n; !st && hi > 0; hi -= piece) {
    long long lo = hi - piece > 0 ? hi - piece : 0;
    st = feature_accum_add(&a, images + lo, labels ? labels + lo : NULL, lo, (int)(hi - lo), 1, 1, 1);
  }
  if (!st) st = feature_accum_finish(&a, MPI_COMM_WORLD, out);
  if (keep) *keep = a;
  else feature_accum_free(&a);
  return st;
}

// Logits of one-hot-like predictions: row v puts +60 on class v % K (p = 1 - 3e-26).
static void one_hot_rows(int K) {
  for (int v = 0; v < 256; v++)
    for (int k = 0; k < FK; k++) g_logits[v][k] = k == v % K ? 60.0f : 0.0f;
}

static void test_closed_forms(void) {
  FeatureNet f = fake_net(FK, 7);
  uint8_t img[60];
  int32_t lab[60];
  FeatureSummary s;
  for (int i = 0; i < 60; i++) img[i] = (uint8_t)(i % 251), lab[i] = i % FK;
  // uniform predictions: IS = 1 in every split
  memset(g_logits, 0, sizeof g_logits);
  CHECK(summarize(&f, img, lab, 60, 5, 13, &s, NULL) == VDMC_OK, "uniform: %s", vdmc_error_message());
  CHECK_CLOSE(s.is_mean, 1.0, 0, 1e-12, "uniform: IS mean");
  CHECK_CLOSE(s.is_std, 0.0, 0, 1e-12, "uniform: IS std");
  CHECK(s.is_splits == 5, "splits %d", s.is_splits);
  fid_stats_free(&s.stats);
  // one-hot, K = 4 classes balanced in each of the 5 splits of 12: IS = K
  one_hot_rows(FK);
  for (int i = 0; i < 60; i++) img[i] = (uint8_t)(4 * (i / 4 % 7) + i % 4);  // class i % 4
  CHECK(summarize(&f, img, lab, 60, 5, 9, &s, NULL) == VDMC_OK, "one-hot: %s", vdmc_error_message());
  CHECK_CLOSE(s.is_mean, (double)FK, 1e-9, 0, "one-hot balanced: IS = K");
  CHECK_CLOSE(s.is_std, 0.0, 0, 1e-9, "one-hot balanced: std 0");
  CHECK_CLOSE(s.accuracy, 1.0, 0, 0, "one-hot: accuracy of the matching labels");
  fid_stats_free(&s.stats);
  // one-hot, 2 splits of 4 with class histograms {2, 2} and {1, 1, 2}:
  // IS = exp(H): 2 and 2^1.5; mean and population std of the two
  uint8_t two[8] = {0, 0, 1, 1, 0, 1, 2, 2};
  int32_t wrong[8] = {1, 0, 1, 1, 0, 0, 0, 2};  // 5 of 8 match the argmax
  CHECK(summarize(&f, two, wrong, 8, 2, 3, &s, NULL) == VDMC_OK, "histograms: %s", vdmc_error_message());
  double a = 2, b = pow(2, 1.5);
  CHECK_CLOSE(s.is_mean, (a + b) / 2, 1e-9, 0, "histograms: IS mean");
  CHECK_CLOSE(s.is_std, (b - a) / 2, 1e-9, 0, "histograms: IS population std");
  CHECK_CLOSE(s.accuracy, 5.0 / 8, 0, 1e-15, "histograms: accuracy");
  fid_stats_free(&s.stats);
  // no labels: accuracy -1
  CHECK(summarize(&f, two, NULL, 8, 1, 8, &s, NULL) == VDMC_OK && s.accuracy == -1, "no labels: accuracy -1");
  CHECK_CLOSE(s.is_mean, exp(-(2 * (3.0 / 8) * log(3.0 / 8) + (2.0 / 8) * log(2.0 / 8))), 1e-9, 0,
              "one split: exp(entropy of {3, 3, 2} / 8)");
  fid_stats_free(&s.stats);
}

// Random probabilities, N = 103 over S = 7 splits (sizes 14 or 15), pieces of 10
// through max_batch 4: against KL(p || p_s) computed directly per split.
static void test_direct(void) {
  FeatureNet f = fake_net(3, 4);
  fill_uniform(&g_logits[0][0], 256 * FK, 11, -3, 3);
  long long N = 103;
  int S = 7, K = 3;
  uint8_t img[103];
  for (int i = 0; i < N; i++) img[i] = (uint8_t)((i * 37 + 5) % 256);
  FeatureSummary s;
  FeatureAccum a;
  CHECK(summarize(&f, img, NULL, N, S, 10, &s, &a) == VDMC_OK, "direct: %s", vdmc_error_message());
  double is[7], mean = 0, var = 0;
  for (int sp = 0; sp < S; sp++) {
    long long lo = sp * N / S, hi = (sp + 1) * N / S;
    CHECK(a.count[sp] == (double)(hi - lo), "split %d holds %.0f examples, expected %lld", sp, a.count[sp], hi - lo);
    double p[103][3], marg[3] = {0, 0, 0}, kl = 0;
    for (long long i = lo; i < hi; i++) {
      const float *l = g_logits[img[i]];
      double z = exp(l[0]) + exp(l[1]) + exp(l[2]);
      for (int k = 0; k < K; k++) marg[k] += (p[i][k] = exp(l[k]) / z) / (double)(hi - lo);
    }
    for (long long i = lo; i < hi; i++)
      for (int k = 0; k < K; k++) kl += p[i][k] * log(p[i][k] / marg[k]) / (double)(hi - lo);
    is[sp] = exp(kl);
    mean += is[sp] / S;
  }
  for (int sp = 0; sp < S; sp++) var += (is[sp] - mean) * (is[sp] - mean) / S;
  CHECK_CLOSE(s.is_mean, mean, 1e-12, 0, "direct: IS mean");
  CHECK_CLOSE(s.is_std, sqrt(var), 1e-9, 1e-15, "direct: IS std");
  CHECK(s.is_std > 1e-3, "direct: splits differ (std %.3g)", s.is_std);
  // FID statistics of the features (v, v^2/256)
  double mu[2] = {0, 0}, c01 = 0;
  for (int i = 0; i < N; i++) mu[0] += img[i] / (double)N, mu[1] += (float)(img[i] * img[i] / 256.0f) / (double)N;
  for (int i = 0; i < N; i++) c01 += (img[i] - mu[0]) * ((float)(img[i] * img[i] / 256.0f) - mu[1]) / (double)(N - 1);
  CHECK(s.stats.n == N && s.stats.d == 2, "stats n %lld d %zu", (long long)s.stats.n, s.stats.d);
  CHECK_CLOSE(s.stats.mu[0], mu[0], 1e-12, 0, "mu[0]");
  CHECK_CLOSE(s.stats.mu[1], mu[1], 1e-12, 0, "mu[1]");
  CHECK_CLOSE(s.stats.sigma[1], c01, 1e-12, 0, "sigma[0][1]");
  CHECK(s.stats.sigma[1] == s.stats.sigma[2], "sigma symmetric");
  fid_stats_free(&s.stats);
  feature_accum_free(&a);
}

static void test_errors(void) {
  FeatureNet f = fake_net(FK, 4);
  FeatureAccum a;
  CHECK(feature_accum_init(&a, &f, 9, 10) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "--is-splits 10") &&
            strstr(vdmc_error_message(), "9 examples"),
        "N < S refused: %s", vdmc_error_message());
  CHECK(features_check_input(&f, 2, 1, 1, "x.h5") == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "x.h5") &&
            strstr(vdmc_error_message(), "2x1x1") && strstr(vdmc_error_message(), "takes 1x1x1"),
        "shape mismatch: %s", vdmc_error_message());
  f.H = f.W = 0;
  f.channels = (1u << 1) | (1u << 3);
  CHECK(features_check_input(&f, 30, 20, 3, "x.h5") == VDMC_OK, "any size, 3 channels accepted");
  CHECK(features_check_input(&f, 30, 20, 2, "x.h5") == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "any size with 1 or 3 channels"),
        "2 channels refused: %s", vdmc_error_message());
  // an example counted twice: finish refuses the wrong total
  f = fake_net(FK, 4);
  uint8_t img[4] = {1, 2, 3, 4};
  FeatureSummary s;
  CHECK(feature_accum_init(&a, &f, 4, 2) == VDMC_OK, "init");
  feature_accum_add(&a, img, NULL, 0, 3, 1, 1, 1);
  feature_accum_add(&a, img, NULL, 1, 3, 1, 1, 1);
  CHECK(feature_accum_finish(&a, MPI_COMM_WORLD, &s) != VDMC_OK && strstr(vdmc_error_message(), "6 examples added"),
        "wrong total: %s", vdmc_error_message());
  feature_accum_free(&a);
  CHECK(feature_accum_init(&a, &f, 4, 2) == VDMC_OK, "init");
  CHECK(feature_accum_add(&a, img, NULL, 2, 3, 1, 1, 1) == VDMC_ERR_INTERNAL, "index past N refused");
  feature_accum_free(&a);
  // a file that is no feature network
  FeatureNet g;
  CHECK(features_load(&g, "/nonexistent/feat.h5", 8) != VDMC_OK && strstr(vdmc_error_message(), "/nonexistent/feat.h5"),
        "missing file: %s", vdmc_error_message());
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  test_closed_forms();
  test_direct();
  test_errors();
  int rc = check_finish("features");
  MPI_Finalize();
  return rc;
}
