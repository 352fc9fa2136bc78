// Fréchet distance (ScaLAPACK) against SciPy's sqrtm (tests/reference/gen_fid.py),
// closed forms, and the feature statistics accumulator. ctest runs it at 1 rank;
// tests/cli/fid_mpi.sh runs it at 2 and 4 ranks (grids 1x2 and 2x2).
#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/status.h"
#include "eval/fid.h"
#include "eval/fid_stats.h"
#include "fixture.h"

static int g_rank, g_size;

// Uniform in [-0.5, 0.5): murmur3's finalizer of (index + seed * 0x9E3779B9) mod 2^32,
// exactly as hash_uniform in tests/reference/gen_fid.py.
static double hash_uniform(uint64_t index, uint64_t seed) {
  uint32_t h = (uint32_t)(index + (uint32_t)(seed * 0x9E3779B9u));
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h / 4294967296.0 - 0.5;
}

// gaussian() of gen_fid.py: sigma = A A^T / d + 0.01 I, mu from seed + 1000.
static void make_gaussian(size_t d, uint64_t seed, double *mu, double *sigma) {
  double *a = malloc(d * d * sizeof *a);
  for (size_t i = 0; i < d * d; i++) a[i] = hash_uniform(i, seed);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)d, (int)d, 1.0 / (double)d, a,
              (int)d, a, (int)d, 0.0, sigma, (int)d);
  for (size_t i = 0; i < d; i++) sigma[i * d + i] += 0.01;
  for (size_t i = 0; i < d; i++) mu[i] = hash_uniform(i, seed + 1000);
  free(a);
}

static double fd_of(const double *mu1, const double *s1, const double *mu2, const double *s2,
                    size_t d, FidDistance *r) {
  int st = fid_distance(mu1, s1, mu2, s2, d, MPI_COMM_WORLD, r);
  CHECK(st == VDMC_OK, "fid_distance d=%zu: %s", d, st ? vdmc_error_message() : "");
  return r->fd;
}

static void test_scipy_64(const Fixture *fx) {
  const FixtureArray *m1 = fixture_get(fx, "mu1"), *s1 = fixture_get(fx, "sigma1");
  const FixtureArray *m2 = fixture_get(fx, "mu2"), *s2 = fixture_get(fx, "sigma2");
  const FixtureArray *ref = fixture_get(fx, "fd");
  CHECK(m1 && s1 && m2 && s2 && ref && s1->numel == 64 * 64 && s1->dtype == 2, "fixture arrays");
  if (m1 && s1 && m2 && s2 && ref) {
    FidDistance r;
    double fd = fd_of(m1->data, s1->data, m2->data, s2->data, 64, &r);
    double want = ((const double *)ref->data)[0];
    CHECK_CLOSE(fd, want, 1e-6, 0, "FD d=64 vs scipy sqrtm");
    if (g_rank == 0)
      printf("d=64 on %dx%d: fd %.12g, scipy %.12g, rel err %.2e\n", r.nprow, r.npcol, fd, want,
             fabs(fd - want) / want);
    // a set against itself: every term cancels
    fd = fd_of(m1->data, s1->data, m1->data, s1->data, 64, &r);
    CHECK(fabs(fd) <= 1e-12 * r.trace1, "FD(x, x) d=64 = %.3g (trace %.3g)", fd, r.trace1);
    // the C generator reproduces the Python one (so the 2048 case means what it says)
    double *mu = malloc(64 * sizeof *mu), *sig = malloc(64 * 64 * sizeof *sig);
    make_gaussian(64, 2, mu, sig);
    double err = 0;
    for (size_t i = 0; i < 64 * 64; i++) err = fmax(err, fabs(sig[i] - ((const double *)s2->data)[i]));
    for (size_t i = 0; i < 64; i++) err = fmax(err, fabs(mu[i] - ((const double *)m2->data)[i]));
    CHECK(err < 1e-14, "C matrix formula matches gen_fid.py: max diff %.3g", err);
    free(mu);
    free(sig);
  }
}

static void test_scipy_2048(const Fixture *fx) {
  const FixtureArray *ref = fixture_get(fx, "fd_2048"), *chk = fixture_get(fx, "check_2048");
  size_t d = 2048;
  double *mu1 = malloc(d * sizeof(double)), *mu2 = malloc(d * sizeof(double));
  double *s1 = malloc(d * d * sizeof(double)), *s2 = malloc(d * d * sizeof(double));
  if (g_rank == 0) {  // generated once, then broadcast (ranks share the cores)
    make_gaussian(d, 1, mu1, s1);
    make_gaussian(d, 2, mu2, s2);
  }
  MPI_Bcast(mu1, (int)d, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(mu2, (int)d, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(s1, (int)(d * d), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(s2, (int)(d * d), MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (ref && chk) {
    const double *c = chk->data;
    CHECK_CLOSE(s1[0], c[0], 1e-13, 0, "sigma1[0,0] as in Python");
    CHECK_CLOSE(s1[2047 * d + 5], c[1], 1e-12, 1e-15, "sigma1[2047,5] as in Python");
    CHECK_CLOSE(s2[17 * d + 1999], c[2], 1e-12, 1e-15, "sigma2[17,1999] as in Python");
    CHECK_CLOSE(mu2[2047], c[3], 0, 0, "mu2[2047] as in Python");
    FidDistance r;
    double t0 = MPI_Wtime();
    double fd = fd_of(mu1, s1, mu2, s2, d, &r);
    double want = ((const double *)ref->data)[0];
    CHECK_CLOSE(fd, want, 1e-6, 0, "FD d=2048 vs scipy sqrtm");
    if (g_rank == 0)
      printf("d=2048 on %dx%d: fd %.12g, scipy %.12g, rel err %.2e (%.2f s)\n", r.nprow, r.npcol, fd,
             want, fabs(fd - want) / want, MPI_Wtime() - t0);
  }
  free(mu1);
  free(mu2);
  free(s1);
  free(s2);
}

// Diagonal covariances: FD = |mu1-mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2. Small d
// exercises block sizes below the grid size (d = 1, 3 at 4 ranks).
static void test_diagonal(size_t d) {
  double *mu1 = calloc(d, sizeof(double)), *mu2 = calloc(d, sizeof(double));
  double *s1 = calloc(d * d, sizeof(double)), *s2 = calloc(d * d, sizeof(double));
  double want = 0;
  for (size_t i = 0; i < d; i++) {
    double a = 0.5 + hash_uniform(i, 7) + 0.5, b = 2.0 + hash_uniform(i, 8);
    mu1[i] = hash_uniform(i, 9);
    mu2[i] = -mu1[i];
    s1[i * d + i] = a;
    s2[i * d + i] = b;
    want += 4 * mu1[i] * mu1[i] + (sqrt(a) - sqrt(b)) * (sqrt(a) - sqrt(b));
  }
  FidDistance r;
  double fd = fd_of(mu1, s1, mu2, s2, d, &r);
  char what[64];
  snprintf(what, sizeof what, "diagonal closed form d=%zu", d);
  CHECK_CLOSE(fd, want, 1e-10, 1e-12, what);
  free(mu1);
  free(mu2);
  free(s1);
  free(s2);
}

// A rank-deficient covariance (10 samples in 40 dimensions): S1 has tiny negative
// eigenvalues from rounding, clamped to 0; FD(x, x) must still vanish.
static void test_singular_self(void) {
  size_t d = 40, n = 10;
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n * d; i++) x[i] = (float)hash_uniform(i, 11);
  FidAccum a;
  FidStats s;
  CHECK(fid_accum_init(&a, d, NULL) == VDMC_OK, "accum init");
  fid_accum_add(&a, x, n);
  CHECK(fid_accum_finish(&a, &s) == VDMC_OK, "finish");
  FidDistance r;
  double fd = fd_of(s.mu, s.sigma, s.mu, s.sigma, d, &r);
  CHECK(fabs(fd) <= 1e-7 * r.trace1, "FD(x, x) with a singular covariance = %.3g (trace %.3g)", fd,
        r.trace1);
  CHECK(r.clamped1 <= 0 && r.clamped1 > -1e-10 * r.trace1, "clamped eigenvalue %.3g is tiny", r.clamped1);
  fid_accum_free(&a);
  fid_stats_free(&s);
  free(x);
}

// The accumulator split over ranks (rank r takes rows r, r+P, ...) and reduced equals a
// two-pass mean/covariance of all rows; features with a large common offset.
// Checks s against a two-pass mean and covariance of x (n, d), d <= 37.
static void check_two_pass(const float *x, size_t n, size_t d, const FidStats *s, const char *what) {
  CHECK(s->n == (int64_t)n && s->d == d, "%s: n %lld d %zu", what, (long long)s->n, s->d);
  double mu[37] = {0}, err_mu = 0, err_sig = 0, scale = 0;
  for (size_t r = 0; r < n; r++)
    for (size_t j = 0; j < d; j++) mu[j] += x[r * d + j] / (double)n;
  for (size_t j = 0; j < d; j++) err_mu = fmax(err_mu, fabs(mu[j] - s->mu[j]));
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double c = 0;
      for (size_t r = 0; r < n; r++) c += (x[r * d + i] - mu[i]) * (x[r * d + j] - mu[j]);
      c /= (double)(n - 1);
      scale = fmax(scale, fabs(c));
      err_sig = fmax(err_sig, fabs(c - s->sigma[i * d + j]));
    }
  CHECK(err_mu < 1e-10, "%s: mean vs two-pass: %.3g", what, err_mu);
  CHECK(err_sig < 1e-12 * scale + 1e-14, "%s: covariance vs two-pass: %.3g (scale %.3g)", what, err_sig, scale);
}

// Every rank starts from its own shift (its first row plus 37 r; the last rank holds
// no rows at P > 1): fid_accum_reduce moves them to one before summing.
static void test_accumulator_rank_shifts(const float *x, size_t n, size_t d) {
  size_t rows = g_size > 1 ? (size_t)(g_size - 1) : 1, mine = g_size > 1 && g_rank == g_size - 1 ? n : (size_t)g_rank;
  double shift[37];
  for (size_t j = 0; j < d; j++) shift[j] = mine < n ? x[mine * d + j] + 37.0 * g_rank : -5.0;
  FidAccum a;
  FidStats s;
  CHECK(fid_accum_init(&a, d, shift) == VDMC_OK, "accum init");
  for (size_t r = mine; r < n; r += rows) fid_accum_add(&a, x + r * d, 1);
  CHECK(fid_accum_reduce(&a, MPI_COMM_WORLD) == VDMC_OK, "reduce");
  CHECK(fid_accum_finish(&a, &s) == VDMC_OK, "finish");
  check_two_pass(x, n, d, &s, "per-rank shifts");
  fid_accum_free(&a);
  fid_stats_free(&s);
}

static void test_accumulator(void) {
  size_t d = 37, n = 601;
  float *x = malloc(n * d * sizeof *x);
  for (size_t i = 0; i < n * d; i++) x[i] = (float)(1000.0 + hash_uniform(i, 21) * (1 + i % d));
  test_accumulator_rank_shifts(x, n, d);
  double shift[37];
  for (size_t j = 0; j < d; j++) shift[j] = x[j];
  FidAccum a;
  FidStats s;
  CHECK(fid_accum_init(&a, d, shift) == VDMC_OK, "accum init");
  for (size_t r = (size_t)g_rank; r < n; r += (size_t)g_size) fid_accum_add(&a, x + r * d, 1);
  CHECK(fid_accum_reduce(&a, MPI_COMM_WORLD) == VDMC_OK, "reduce");
  CHECK(fid_accum_finish(&a, &s) == VDMC_OK, "finish");
  check_two_pass(x, n, d, &s, "common shift");
  // file round trip (each rank its own file)
  char path[256];
  snprintf(path, sizeof path, "%s/vdmc-test-fid-%d-%d.h5", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
           (int)getpid(), g_rank);
  s.features_crc32 = 0xDEADBEEFu;
  snprintf(s.source, sizeof s.source, "unit test");
  CHECK(fid_stats_write(path, &s) == VDMC_OK, "stats write: %s", vdmc_error_message());
  FidStats t;
  CHECK(fid_stats_read(path, &t) == VDMC_OK, "stats read: %s", vdmc_error_message());
  CHECK(t.d == d && t.n == (int64_t)n && t.features_crc32 == 0xDEADBEEFu && !strcmp(t.source, "unit test"),
        "stats attributes round trip");
  CHECK(t.mu && t.sigma && !memcmp(t.mu, s.mu, d * sizeof(double)) &&
            !memcmp(t.sigma, s.sigma, d * d * sizeof(double)),
        "stats arrays round trip");
  fid_stats_free(&t);
  remove(path);
  CHECK(fid_stats_read(path, &t) != VDMC_OK && strstr(vdmc_error_message(), path) &&
            strstr(vdmc_error_message(), "No such file"),
        "missing stats file: %s", vdmc_error_message());
  fid_stats_free(&s);
  fid_accum_free(&a);
  free(x);
  // fewer than 2 examples
  CHECK(fid_accum_init(&a, 3, NULL) == VDMC_OK, "init");
  fid_accum_add(&a, x = calloc(3, sizeof(float)), 1);
  CHECK(fid_accum_finish(&a, &s) == VDMC_ERR_INPUT, "one example is an error");
  fid_accum_free(&a);
  free(x);
}

static void test_grid_shape(void) {
  int r, c;
  fid_grid_shape(1, &r, &c);
  CHECK(r == 1 && c == 1, "grid 1");
  fid_grid_shape(4, &r, &c);
  CHECK(r == 2 && c == 2, "grid 4 = %dx%d", r, c);
  fid_grid_shape(6, &r, &c);
  CHECK(r == 2 && c == 3, "grid 6 = %dx%d", r, c);
  fid_grid_shape(7, &r, &c);
  CHECK(r == 1 && c == 7, "grid 7 = %dx%d", r, c);
  CHECK(fid_block_size(2048, 2, 2) == 64 && fid_block_size(64, 2, 2) == 32 &&
            fid_block_size(3, 2, 2) == 1,
        "block sizes");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  test_grid_shape();
  Fixture fx;
  int have_fx = fixture_load(&fx, "fid_ref.fix") == 0;
  CHECK(have_fx, "fixture fid_ref.fix");
  if (have_fx) test_scipy_64(&fx);
  test_diagonal(1);
  test_diagonal(3);
  test_diagonal(64);
  test_singular_self();
  test_accumulator();
  if (have_fx) {
    test_scipy_2048(&fx);
    fixture_free(&fx);
  }
  char suite[32];
  snprintf(suite, sizeof suite, "fid rank %d/%d", g_rank, g_size);
  int rc = check_finish(suite);
  MPI_Finalize();
  return rc;
}
