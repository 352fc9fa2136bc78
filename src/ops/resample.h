// Nearest-neighbour up-sampling x2 and average-pool down-sampling x2 (NHWC).
// H, W, C always describe the op's *input*.
#ifndef VDMC_OPS_RESAMPLE_H
#define VDMC_OPS_RESAMPLE_H

void upsample2x_forward(float *out /* (B,2H,2W,C) */, const float *inp /* (B,H,W,C) */,
                        int B, int H, int W, int C);
void upsample2x_backward(float *dinp /* (B,H,W,C) */, const float *dout /* (B,2H,2W,C) */,
                         int B, int H, int W, int C);
// H and W must be even.
void avgpool2x_forward(float *out /* (B,H/2,W/2,C) */, const float *inp /* (B,H,W,C) */,
                       int B, int H, int W, int C);
void avgpool2x_backward(float *dinp /* (B,H,W,C) */, const float *dout /* (B,H/2,W/2,C) */,
                        int B, int H, int W, int C);

#endif
