// KID and improved precision/recall (eval/kid.h, eval/precision_recall.h) on cases
// computed by hand and against closed forms:
// - KID of {0, 1} vs {2, 3} in one dimension: k = (xy + 1)^3 gives Kxx = 1, Kyy = 343,
//   Kxy = 1 + 1 + 27 + 64, so MMD^2_u = 2/2 + 686/2 - 2 * 93/4 = 297.5 exactly;
// - the statistic over whole sets equals a direct double loop (no GEMM), and the mean
//   over random subsets converges to it (the estimator is unbiased under sampling
//   without replacement), within 4 standard errors;
// - precision/recall of two 1-D sets worked out by hand for k = 1 and k = 2, identical
//   sets (1, 1), far apart sets (0, 0), and bad k refused.
// Every function is collective; this test runs them on 1 rank (unit.kid_pr) and,
// under mpirun, on 2 (tests/cli/fid_mpi.sh), where the results must be the same.
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "eval/kid.h"
#include "eval/precision_recall.h"

static void kid_by_hand(void) {
  const float x[2] = {0, 1}, y[2] = {2, 3};
  KidResult r;
  CHECK(kid_compute(x, 2, y, 2, 1, 1, 2, 7, MPI_COMM_WORLD, &r) == VDMC_OK, "kid: %s", vdmc_error_message());
  CHECK_CLOSE(r.mean, 297.5, 1e-12, 0, "KID {0,1} vs {2,3}");
  CHECK(r.std == 0 && r.subsets == 1 && r.subset_size == 2, "one subset: std 0");
}

// Sum of k(a_i, b_j) by a plain double loop, without i == j when `same`.
static double kernel_sum_direct(const float *a, size_t na, const float *b, size_t nb, size_t d, int same) {
  double sum = 0;
  for (size_t i = 0; i < na; i++)
    for (size_t j = 0; j < nb; j++) {
      if (same && i == j) continue;
      double dot = 0;
      for (size_t q = 0; q < d; q++) dot += (double)a[i * d + q] * b[j * d + q];
      sum += pow(dot / d + 1, 3);
    }
  return sum;
}

// The unbiased MMD^2 of whole sets.
static double mmd2_direct(const float *x, size_t nx, const float *y, size_t ny, size_t d) {
  return kernel_sum_direct(x, nx, x, nx, d, 1) / (nx * (nx - 1.0)) +
         kernel_sum_direct(y, ny, y, ny, d, 1) / (ny * (ny - 1.0)) -
         2 * kernel_sum_direct(x, nx, y, ny, d, 0) / ((double)nx * ny);
}

static void fill(float *v, size_t n, unsigned seed, float shift) {
  fill_uniform(v, n, seed, -1.0f, 1.0f);
  for (size_t i = 0; i < n; i++) v[i] += shift;
}

static void kid_unbiased(void) {
  enum { N = 200, D = 6, SUBSETS = 400, M = 50 };
  float *x = malloc(N * D * sizeof(float)), *y = malloc(N * D * sizeof(float));
  fill(x, N * D, 1, 0.0f);
  fill(y, N * D, 2, 0.15f);
  const double whole = mmd2_direct(x, N, y, N, D);
  KidResult all, sub;
  CHECK(kid_compute(x, N, y, N, D, 1, N, 3, MPI_COMM_WORLD, &all) == VDMC_OK, "kid whole: %s", vdmc_error_message());
  // The gram matrices are float32 GEMMs: a dot product of D terms is off by at most
  // D 2^-24 sum|x_i y_i| <= 6 * 6e-8 * 8 = 2.9e-6 (|x|, |y| <= 1.15), a kernel value by
  // 3 (|a| + 1)^2 / D times that <= 16 * 2.9e-6 / 6 = 7.7e-6 (|a| <= 1.3), and the
  // statistic (coefficients 1, 1, 2 on means of kernel values) by at most 4 * 7.7e-6.
  CHECK_CLOSE(all.mean, whole, 0, 3.1e-5, "KID of whole sets = the direct double loop (float32 GEMM bound)");
  CHECK(kid_compute(x, N, y, N, D, SUBSETS, M, 3, MPI_COMM_WORLD, &sub) == VDMC_OK, "kid: %s", vdmc_error_message());
  const double se = sub.std / sqrt((double)SUBSETS);
  printf("KID: whole sets %.6g; %d subsets of %d: %.6g +- %.3g (std %.3g)\n", whole, SUBSETS, M, sub.mean, se,
         sub.std);
  CHECK(fabs(sub.mean - whole) < 4 * se, "subset mean %g vs whole %g (4 se = %g): the estimator is unbiased",
        sub.mean, whole, 4 * se);
  CHECK(whole > 8 * se, "the shifted sets differ (%g) by more than the test resolves (%g)", whole, 8 * se);
  // same seed, same subsets: the same value
  KidResult again;
  kid_compute(x, N, y, N, D, SUBSETS, M, 3, MPI_COMM_WORLD, &again);
  CHECK(again.mean == sub.mean, "deterministic for a seed");
  CHECK(kid_compute(x, N, y, N, D, 10, N + 1, 3, MPI_COMM_WORLD, &again) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "subset size"),
        "subset larger than a set refused: %s", vdmc_error_message());
  free(x);
  free(y);
}

static void pr_case(const float *r, size_t nr, const float *g, size_t ng, int k, double want_p, double want_r,
                    const char *what) {
  PrecisionRecall pr;
  CHECK(precision_recall(r, nr, g, ng, 1, k, MPI_COMM_WORLD, &pr) == VDMC_OK, "%s: %s", what, vdmc_error_message());
  printf("precision/recall %s (k=%d): %.4f %.4f\n", what, k, pr.precision, pr.recall);
  CHECK(pr.precision == want_p && pr.recall == want_r, "%s: precision %g recall %g, want %g %g", what, pr.precision,
        pr.recall, want_p, want_r);
}

static void pr_by_hand(void) {
  // k = 1. Real radii: 0->1: 1, 1: 1, 2: 1, 10->2: 8. Generated radii: 0.5->5: 4.5,
  // 5: 4.5, 11->5: 6, 20->11: 9. Precision: 0.5 (in 0's ball), 5 (|5-10| = 5 <= 8),
  // 11 (in 10's), not 20 (10 > 8): 3/4. Recall: 0, 1, 2 within 4.5 of 0.5; 10 within
  // 6 of 11: 4/4.
  const float real[4] = {0, 1, 2, 10}, gen[4] = {0.5f, 5, 20, 11};
  pr_case(real, 4, gen, 4, 1, 0.75, 1.0, "1-D sets");
  // k = 2: real radii 0: 2, 1: 1, 2: 2, 10: 9; generated 0.5: 10.5, 5: 6, 11: 9, 20: 15.
  // Precision: 0.5, 5, 11 yes; 20: |20-10| = 10 > 9 no: 3/4. Recall: all 4.
  pr_case(real, 4, gen, 4, 2, 0.75, 1.0, "1-D sets");
  // the real set's outlier removed: 5 is 3 from 2 (radius 1 at k=1) and 5 from 0: out
  const float real3[3] = {0, 1, 2};
  pr_case(real3, 3, gen, 4, 1, 0.25, 1.0, "no outlier");
  pr_case(real, 4, real, 4, 1, 1.0, 1.0, "identical sets");
  const float far[4] = {100, 101, 102, 103};
  pr_case(real3, 3, far, 4, 1, 0.0, 0.0, "far apart");
  PrecisionRecall pr;
  CHECK(precision_recall(real3, 3, gen, 4, 1, 3, MPI_COMM_WORLD, &pr) == VDMC_ERR_INPUT, "k = 3 with 3 points refused");
}

// Many points in several dimensions (the GEMM tiles and the rank split are used):
// the same set twice gives (1, 1); a set against its own copy moved far away (0, 0).
static void pr_tiles(void) {
  enum { N = 5000, D = 12 };
  float *a = malloc(N * D * sizeof(float)), *b = malloc(N * D * sizeof(float));
  fill(a, N * D, 9, 0.0f);
  for (size_t i = 0; i < (size_t)N * D; i++) b[i] = a[i] + 50.0f;
  PrecisionRecall pr;
  CHECK(precision_recall(a, N, a, N, D, 3, MPI_COMM_WORLD, &pr) == VDMC_OK && pr.precision == 1 && pr.recall == 1,
        "identical %d-point sets: %g %g", N, pr.precision, pr.recall);
  CHECK(precision_recall(a, N, b, N, D, 3, MPI_COMM_WORLD, &pr) == VDMC_OK && pr.precision == 0 && pr.recall == 0,
        "disjoint %d-point sets: %g %g", N, pr.precision, pr.recall);
  free(a);
  free(b);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  kid_by_hand();
  kid_unbiased();
  pr_by_hand();
  pr_tiles();
  int rc = check_finish("kid_pr");
  MPI_Finalize();
  return rc;
}
