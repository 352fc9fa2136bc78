// Float64 scalar helpers in numerically stable forms for the schedule, weighting
// and ELBO math over lambda in [-20, 20] (and beyond): no exp() of a large
// positive argument, no 1 - (number close to 1).
#ifndef VDMC_DIFFUSION_STABLE_MATH_H
#define VDMC_DIFFUSION_STABLE_MATH_H

// strict C11 has no M_PI
#define DM_PI 3.14159265358979323846
#define DM_LN2 0.69314718055994530942
#define DM_SQRT2 1.41421356237309504880

double dm_softplus(double x);        // log(1 + e^x)
double dm_log_sigmoid(double x);     // log(1 / (1 + e^-x)) = -softplus(-x)
double dm_sigmoid(double x);         // 1 / (1 + e^-x)
double dm_sech(double x);            // 1 / cosh(x), no overflow
double dm_log_sech(double x);        // -log cosh(x)
double dm_normal_cdf(double x);      // standard normal CDF, accurate in the lower tail
double dm_normal_quantile(double p); // inverse of dm_normal_cdf, p in (0, 1)
double dm_normal_log_pdf(double x, double mean, double std);
double dm_log_add_exp(double a, double b);  // log(e^a + e^b)

#endif
