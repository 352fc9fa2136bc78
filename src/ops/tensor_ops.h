// Residual add, channel concat/split (U-Net skip connections), and the ADM
// scale-shift conditioning ("AdaGN": out = x * (1 + scale) + shift).
#ifndef VDMC_OPS_TENSOR_OPS_H
#define VDMC_OPS_TENSOR_OPS_H

#include <stddef.h>

// dst (C, R) += src (R, C) transposed.
void transpose_accumulate(float *dst, const float *src, size_t R, size_t C);
// x (n) = 0 on the pool's threads: a buffer a backward pass then accumulates into.
void zero_floats(float *x, size_t n);
// dst (n) = src (n) on the pool's threads (dst and src do not overlap).
void copy_floats(float *dst, const float *src, size_t n);
void add_forward(float *out, const float *a, const float *b, size_t n);
// dst += src: the backward of add (for each input), and of any identity path.
void accumulate(float *dst, const float *src, size_t n);
// dst (C) += sum over rows of src (P, C), summed in double: the bias gradient of
// linear layers, convolutions and per-example channel biases.
void colsum_accumulate(float *dst, const float *src, size_t P, int C);

// out (P, Ca+Cb) = [a (P, Ca) | b (P, Cb)] with P = B*H*W rows.
void concat_channels_forward(float *out, const float *a, const float *b, size_t P, int Ca, int Cb);
void concat_channels_backward(float *da, float *db, const float *dout, size_t P, int Ca, int Cb);

// out (B,HW,C) = x * (1 + ss[b, 0:C]) + ss[b, C:2C]; ss (B, 2C) holds scale then shift.
void scale_shift_forward(float *out, const float *x, const float *ss, int B, int HW, int C);
void scale_shift_backward(float *dx, float *dss, const float *dout, const float *x,
                          const float *ss, int B, int HW, int C);
// out (B,HW,C) = x + v[b, :]; v (B, C): a per-example channel bias (time embedding add).
void add_channel_bias_forward(float *out, const float *x, const float *v, int B, int HW, int C);
void add_channel_bias_backward(float *dx, float *dv, const float *dout, int B, int HW, int C);

#endif
