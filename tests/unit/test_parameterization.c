// Parameterizations (E.2, Eq. 109-126, D.2): round trips eps <-> x <-> v <-> F <-> score,
// the float32 conversion loop, the error identities Eq. 122-126, and the F
// parameterization's unit-variance target (which Eq. 119's c_skip violates).
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "diffusion/parameterization.h"
#include "test_rng.h"

int main(void) {
  TestRng r = test_rng(3);
  const double sd = 0.5;
  double worst = 0;
  for (int i = 0; i <= 80; i++) {
    double l = -20 + 0.5 * i, a, s;
    vp_alpha_sigma(l, &a, &s);
    CHECK_CLOSE(a * a + s * s, 1.0, 1e-14, 0, "VP: alpha^2 + sigma^2 = 1");
    CHECK_CLOSE(log(a * a / (s * s)), l, 1e-12, 1e-12, "lambda = log(alpha^2/sigma^2)");
    for (int rep = 0; rep < 4; rep++) {
      double x = 2 * test_uniform(&r) - 1, e = test_normal(&r), z = a * x + s * e;
      // every parameterization's target maps back to (eps, x) and to the true score
      for (int k = 0; k < PRED_KIND_COUNT; k++) {
        double out = pred_target((PredKind)k, l, sd, x, e);
        PredCoef c = pred_coef((PredKind)k, l, sd);
        double eh = c.eps_z * z + c.eps_out * out, xh = c.x_z * z + c.x_out * out;
        double score = -eh / s, true_score = -(z - a * x) / (s * s);  // Eq. 109, 115
        worst = fmax(worst, fabs(eh - e) / (1 + fabs(e)));
        worst = fmax(worst, fabs(xh - x) / (1 + fabs(x)));
        worst = fmax(worst, fabs(score - true_score) / (1 + fabs(true_score)));
      }
      // chain eps -> x -> v -> F -> score -> eps through the conversions only
      PredCoef ce = pred_coef(PRED_EPS, l, sd), cv = pred_coef(PRED_V, l, sd), cf = pred_coef(PRED_F, l, sd);
      double x1 = ce.x_z * z + ce.x_out * e;                   // x from eps
      double v1 = a * ((z - a * x1) / s) - s * x1;             // v from x (via eps, Eq. 49)
      double x2 = cv.x_z * z + cv.x_out * v1;                  // x from v
      double f1 = (x2 - cf.x_z * z) / cf.x_out;               // F from x
      double e2 = cf.eps_z * z + cf.eps_out * f1;              // eps from F
      double sc = -e2 / s, e3 = -sc * s;                       // score and back
      worst = fmax(worst, fabs(e3 - e) / (1 + fabs(e)));
      worst = fmax(worst, fabs(x2 - x) / (1 + fabs(x)));
      // error identities: perturb the prediction and compare squared errors
      double d = test_normal(&r) * 0.1;
      double eh = e + d, xh = (z - s * eh) / a;
      double vh = a * eh - s * xh, v = a * e - s * x;
      double fh = (xh - cf.x_z * z) / cf.x_out, f = (x - cf.x_z * z) / cf.x_out;
      double ee = d * d;
      if (l > -15 && l < 15) {
        CHECK_CLOSE(ee, exp(l) * (x - xh) * (x - xh), 1e-7, 1e-14, "Eq. 122");
        CHECK_CLOSE(ee, (v - vh) * (v - vh) / (exp(-l) + 1), 1e-7, 1e-14, "Eq. 125");
        CHECK_CLOSE(ee, (f - fh) * (f - fh) / (exp(-l) / (sd * sd) + 1), 1e-7, 1e-14, "Eq. 126");
      }
    }
    // F target variance for data with std sd: ours is 1 (EDM's design), Eq. 119's is not.
    PredCoef cf = pred_coef(PRED_F, l, sd);
    double A = (1 - cf.x_z * a) / cf.x_out, B = -cf.x_z * s / cf.x_out;
    CHECK_CLOSE(A * A * sd * sd + B * B, 1.0, 1e-9, 0, "F target has unit variance");
    double tot = exp(-l) + sd * sd, cskip119 = sd * sd * a / tot;
    double A119 = (1 - cskip119 * a) / cf.x_out, B119 = -cskip119 * s / cf.x_out;
    if (l > -5 && l < 3)
      CHECK(fabs(A119 * A119 * sd * sd + B119 * B119 - 1) > 1e-3, "Eq. 119's c_skip: target variance %g at l=%g",
            A119 * A119 * sd * sd + B119 * B119, l);
  }
  printf("worst round-trip relative error (float64): %.3g\n", worst);
  CHECK(worst < 1e-9, "round trips to 1e-9 in float64 (worst %.3g)", worst);

  // float32 loop against the float64 coefficients, all three targets
  enum { B = 5, Dd = 7 };
  float out[B * Dd], z[B * Dd], dst[B * Dd];
  double lam[B] = {-18, -3.5, 0, 4.2, 17};
  fill_uniform(out, B * Dd, 1, -2, 2);
  fill_uniform(z, B * Dd, 2, -2, 2);
  for (int k = 0; k < PRED_KIND_COUNT; k++)
    for (int target = 0; target < 3; target++) {
      pred_convert(dst, out, z, lam, B, Dd, (PredKind)k, sd, (PredTarget)target);
      double err = 0;
      for (int b = 0; b < B; b++) {
        PredCoef c = pred_coef((PredKind)k, lam[b], sd);
        double a, s;
        vp_alpha_sigma(lam[b], &a, &s);
        for (int i = 0; i < Dd; i++) {
          double eh = c.eps_z * z[b * Dd + i] + c.eps_out * out[b * Dd + i];
          double xh = c.x_z * z[b * Dd + i] + c.x_out * out[b * Dd + i];
          double ref = target == PRED_TO_EPS ? eh : target == PRED_TO_X ? xh : -eh / s;
          err = fmax(err, fabs(dst[b * Dd + i] - ref) / (fabs(ref) + 1e-30));
        }
      }
      CHECK(err < 1e-6, "pred_convert %s target %d: rel err %.3g", pred_kind_name((PredKind)k), target, err);
    }
  PredKind kind;
  CHECK(pred_kind_parse("F", &kind) == 0 && kind == PRED_F, "parse F");
  CHECK(pred_kind_parse("epsilon", &kind) != 0, "unknown parameterization rejected");
  return check_finish("parameterization");
}
