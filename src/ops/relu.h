// ReLU max(x, 0) pointwise over n floats (the Inception-v3 feature network's activation).
#ifndef VDMC_OPS_RELU_H
#define VDMC_OPS_RELU_H

#include <stddef.h>

// out may alias inp (in place). NaN stays NaN, as torch.relu.
void relu_forward(float *out, const float *inp, size_t n);
// dinp += dout where out > 0; takes the forward *output*, so an in-place forward is fine.
void relu_backward(float *dinp, const float *dout, const float *out, size_t n);

#endif
