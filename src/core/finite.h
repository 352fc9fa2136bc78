// Finding non-finite values: evaluators refuse NaN/inf weights and results instead
// of printing `total nan` with exit 0.
#ifndef VDMC_CORE_FINITE_H
#define VDMC_CORE_FINITE_H

#include <stddef.h>

// Index of the first NaN or infinity in x[0..n), or n when every element is finite.
size_t finite_first_bad_float(const float *x, size_t n);
size_t finite_first_bad_double(const double *x, size_t n);

#endif
