#include "optim/ema_posthoc.h"

#include <math.h>
#include <stdlib.h>

#include "core/status.h"
#include "optim/ema_power.h"

// A = L L^T in place (lower triangle of the row-major n x n a); 0 when A is not
// positive definite.
static int cholesky(double *a, int n) {
  for (int j = 0; j < n; j++) {
    double d = a[j * n + j];
    for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return 0;
    double l = sqrt(d);
    a[j * n + j] = l;
    for (int i = j + 1; i < n; i++) {
      double s = a[i * n + j];
      for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  return 1;
}

// Solves L L^T y = y in place.
static void cholesky_solve(const double *l, int n, double *y) {
  for (int i = 0; i < n; i++) {
    double s = y[i];
    for (int k = 0; k < i; k++) s -= l[i * n + k] * y[k];
    y[i] = s / l[i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = y[i];
    for (int k = i + 1; k < n; k++) s -= l[k * n + i] * y[k];
    y[i] = s / l[i * n + i];
  }
}

// ||A||_1 ||A^-1||_1 from A (a) and its factor (l): the inverse column by column.
static double condition_1(const double *a, const double *l, int n, double *col) {
  double norm_a = 0, norm_inv = 0;
  for (int j = 0; j < n; j++) {
    double sa = 0, si = 0;
    for (int i = 0; i < n; i++) col[i] = i == j;
    cholesky_solve(l, n, col);
    for (int i = 0; i < n; i++) sa += fabs(a[i * n + j]), si += fabs(col[i]);
    norm_a = fmax(norm_a, sa);
    norm_inv = fmax(norm_inv, si);
  }
  return norm_a * norm_inv;
}

int ema_posthoc_solve(const EmaProfile *in, int n, EmaProfile out, double *x, EmaPosthocFit *fit) {
  if (n < 1) return vdmc_fail(VDMC_ERR_INPUT, "post-hoc EMA: no stored profiles to reconstruct from");
  size_t nn = (size_t)n * (size_t)n;
  double *a = malloc(nn * sizeof *a), *l = malloc(nn * sizeof *l), *b = malloc((size_t)n * sizeof *b);
  double *col = malloc((size_t)n * sizeof *col);
  int rc = VDMC_OK;
  if (!a || !l || !b || !col) {
    rc = vdmc_fail(VDMC_ERR_MEMORY, "post-hoc EMA: out of memory for a %d x %d system", n, n);
    goto done;
  }
  // Times relative to the output's: the inner products scale as 1/t, which cancels.
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++)
      a[i * n + j] = l[i * n + j] = ema_power_inner(in[i].t / out.t, in[i].gamma, in[j].t / out.t, in[j].gamma);
    b[i] = x[i] = ema_power_inner(in[i].t / out.t, in[i].gamma, 1, out.gamma);
  }
  if (!cholesky(l, n)) {
    rc = vdmc_fail(VDMC_ERR_NUMERIC, "post-hoc EMA: the %d stored profiles are linearly dependent (two snapshots "
                   "with the same images and std?)", n);
    goto done;
  }
  fit->condition = condition_1(a, l, n, col);
  if (!(fit->condition <= EMA_POSTHOC_MAX_CONDITION)) {
    rc = vdmc_fail(VDMC_ERR_NUMERIC, "post-hoc EMA: the %d stored profiles are nearly linearly dependent "
                   "(condition number %.3g > %.0e): use fewer snapshots", n, fit->condition,
                   EMA_POSTHOC_MAX_CONDITION);
    goto done;
  }
  cholesky_solve(l, n, x);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += x[i];
  if (!(fabs(sum) > 1e-3)) {  // the least-squares weights of a unit-mass profile sum to about 1
    rc = vdmc_fail(VDMC_ERR_NUMERIC, "post-hoc EMA: the weights of the %d stored profiles sum to %g: the "
                   "wanted profile is far outside what they span", n, sum);
    goto done;
  }
  for (int i = 0; i < n; i++) x[i] /= sum;
  // || sum x_i p_i - q ||^2 = x^T A x - 2 x^T b + <q, q>
  double qq = ema_power_inner(1, out.gamma, 1, out.gamma), r2 = qq;
  for (int i = 0; i < n; i++) {
    double ax = 0;
    for (int j = 0; j < n; j++) ax += a[i * n + j] * x[j];
    r2 += x[i] * (ax - 2 * b[i]);
  }
  fit->residual = sqrt(fmax(r2, 0) / qq);
done:
  free(a);
  free(l);
  free(b);
  free(col);
  return rc;
}

void ema_posthoc_accumulate(double *acc, const float *snap, size_t n, double w) {
  for (size_t i = 0; i < n; i++) acc[i] += w * (double)snap[i];
}
