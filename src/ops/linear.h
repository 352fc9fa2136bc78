// Dense layer over rows: out (N, Cout) = inp (N, Cin) . weight (Cin, Cout) + bias.
// A 1x1 stride-1 convolution on NHWC data is this op with N = B*H*W.
#ifndef VDMC_OPS_LINEAR_H
#define VDMC_OPS_LINEAR_H

void linear_forward(float *out, const float *inp, const float *weight, const float *bias /* or NULL */,
                    int N, int Cin, int Cout);
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int Cin, int Cout);

#endif
