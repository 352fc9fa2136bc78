// k x k pooling on NHWC tensors, as PyTorch's max_pool2d / avg_pool2d with
// ceil_mode=False: Ho = (H + 2*pad - k) / stride + 1 (likewise Wo), pad <= k/2.
// Padding never enters a result: max pooling skips it (PyTorch pads with -inf) and
// average pooling divides by the number of real pixels in the window
// (count_include_pad=False, what TensorFlow's Inception-v3 and pytorch-fid use).
// Plus the global average pool (AdaptiveAvgPool2d(1)). Legend: B batch, H/W input
// size, Ho/Wo output size, C channels.
#ifndef VDMC_OPS_POOL_H
#define VDMC_OPS_POOL_H

typedef struct {
  int B, H, W, C;     // input (B, H, W, C)
  int k, stride, pad; // window, stride, padding on every side
} Pool2dDims;

int pool2d_out_h(const Pool2dDims *d);
int pool2d_out_w(const Pool2dDims *d);

// out (B,Ho,Wo,C) is overwritten. Ties go to the first maximum in (row, column) order.
void maxpool2d_forward(float *out, const float *inp /* (B,H,W,C) */, const Pool2dDims *d);
// dinp (B,H,W,C) += dout routed to each window's maximum (recomputed from inp).
void maxpool2d_backward(float *dinp, const float *dout /* (B,Ho,Wo,C) */,
                        const float *inp /* (B,H,W,C) */, const Pool2dDims *d);

// out (B,Ho,Wo,C): window mean over the pixels inside the image.
void avgpool2d_forward(float *out, const float *inp /* (B,H,W,C) */, const Pool2dDims *d);
void avgpool2d_backward(float *dinp /* (B,H,W,C) */, const float *dout /* (B,Ho,Wo,C) */,
                        const Pool2dDims *d);

// out (B,C) = mean over the HW positions of inp (B,HW,C).
void global_avgpool_forward(float *out, const float *inp, int B, int HW, int C);
// dinp (B,HW,C) += dout (B,C) / HW.
void global_avgpool_backward(float *dinp, const float *dout, int B, int HW, int C);

#endif
