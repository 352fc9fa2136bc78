// Pointwise activations over n floats. GELU is the exact erf form (PyTorch default).
#ifndef VDMC_OPS_ACTIVATION_H
#define VDMC_OPS_ACTIVATION_H

#include <stddef.h>

void silu_forward(float *out, const float *inp, size_t n);
void silu_backward(float *dinp, const float *dout, const float *inp, size_t n);
void gelu_forward(float *out, const float *inp, size_t n);
void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);

#endif
