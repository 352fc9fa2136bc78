// Bilinear resize of NHWC images to (Ho, Wo), as PyTorch's
// F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=False): output pixel
// centres map to src = max((dst + 0.5) * in/out - 0.5, 0) in float32, the two nearest
// input pixels are blended (the upper one clamped to the last row/column). Any sizes
// >= 1, up or down (no anti-aliasing, like PyTorch's default).
// Legend: B batch, H/W input size, Ho/Wo output size, C channels.
#ifndef VDMC_OPS_BILINEAR_H
#define VDMC_OPS_BILINEAR_H

#include <stdint.h>

typedef struct {
  int B, H, W, C;  // input (B, H, W, C)
  int Ho, Wo;      // output size
} BilinearDims;

// out (B,Ho,Wo,C) is overwritten.
void bilinear_forward(float *out, const float *inp /* (B,H,W,C) */, const BilinearDims *d);
// The same from 8-bit pixels read as u / 255.0f (torchvision's ToTensor), so callers
// with uint8 images of any size need no float copy of them.
void bilinear_forward_u8(float *out, const uint8_t *inp /* (B,H,W,C) */, const BilinearDims *d);
// dinp (B,H,W,C) += the transpose of the resize applied to dout (B,Ho,Wo,C).
void bilinear_backward(float *dinp, const float *dout, const BilinearDims *d);

#endif
