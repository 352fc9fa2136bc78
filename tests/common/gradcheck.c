#include "gradcheck.h"

#include <math.h>
#include <stdio.h>

#include "check.h"

double gradcheck_dot(const float *out, const float *probe, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += (double)out[i] * (double)probe[i];
  return s;
}

double gradcheck_run(gradcheck_loss_fn loss, void *ctx, const GradcheckTarget *targets,
                     int n_targets, double eps, double rtol, double atol, size_t max_points) {
  double worst = 0;
  for (int t = 0; t < n_targets; t++) {
    const GradcheckTarget *g = &targets[t];
    size_t stride = g->n <= max_points ? 1 : (g->n + max_points - 1) / max_points;
    int bad = 0;
    for (size_t i = 0; i < g->n; i += stride) {
      float saved = g->x[i];
      g->x[i] = (float)(saved + eps);
      double lp = loss(ctx);
      g->x[i] = (float)(saved - eps);
      double lm = loss(ctx);
      g->x[i] = saved;
      // the step actually taken in float32
      double h = (double)(float)(saved + eps) - (double)(float)(saved - eps);
      double num = (lp - lm) / h;
      double ana = g->grad[i];
      double scale = fmax(fabs(num), fabs(ana));
      double rel = fabs(num - ana) / (scale + 1e-12);
      if (fabs(num - ana) > atol && rel > worst) worst = rel;
      if (fabs(num - ana) > atol + rtol * scale) {
        if (bad < 5)
          CHECK(0, "gradcheck %s[%zu]: numeric %.8g vs analytic %.8g", g->name, i, num, ana);
        bad++;
      } else {
        CHECK(1, "ok");
      }
    }
    if (bad >= 5) fprintf(stderr, "gradcheck %s: %d mismatching elements in all\n", g->name, bad);
  }
  return worst;
}
