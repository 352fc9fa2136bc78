// fastexp_nonpos against exp() in double over its whole contract.
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "core/fastexp.h"

int main(void) {
  double worst = 0, wx = 0;
  for (double x = -87.0; x <= 0.0; x += 1.0 / 4096) {  // 356k points
    float xf = (float)x;
    double rel = fabs((double)fastexp_nonpos(xf) / exp((double)xf) - 1.0);
    if (!(rel <= worst)) worst = rel, wx = x;
  }
  printf("fastexp_nonpos: max rel err %.3g at x = %.6f\n", worst, wx);
  CHECK(worst < 2e-7, "max relative error %.3g on [-87, 0] (at %g)", worst, wx);
  CHECK(fastexp_nonpos(0.0f) == 1.0f, "exp(0) == 1 exactly");
  CHECK(fastexp_nonpos(-0.0f) == 1.0f, "exp(-0) == 1 exactly");
  float tiny = fastexp_nonpos(-1000.0f), ninf = fastexp_nonpos(-INFINITY);
  CHECK(tiny >= 0 && tiny < 2e-38f && ninf == tiny, "underflow clamps: %g %g", tiny, ninf);
  CHECK(isnan(fastexp_nonpos(NAN)) && isnan(fastexp_nonpos(-NAN)), "NaN propagates");
  return check_finish("fastexp");
}
