#include "models/torch_layout.h"

#include <string.h>

typedef enum { LAYOUT_SAME, LAYOUT_CONV, LAYOUT_LINEAR } LayoutKind;

// The class table is 2-D but indexed by rows in both frameworks (nn.Parameter of
// (rows, E) in the PyTorch module), so only its name tells it from a linear weight.
static LayoutKind kind_of(const ParamInfo *p) {
  size_t n = strlen(p->name);
  if (p->ndim == 4) return LAYOUT_CONV;
  if (p->ndim == 2 && !(n >= 6 && !strcmp(p->name + n - 6, ".table"))) return LAYOUT_LINEAR;
  return LAYOUT_SAME;
}

int torch_layout_shape(const ParamInfo *p, size_t shape[PARAM_MAX_DIMS]) {
  const size_t *s = p->shape;
  switch (kind_of(p)) {
    case LAYOUT_CONV: shape[0] = s[3], shape[1] = s[2], shape[2] = s[0], shape[3] = s[1]; break;
    case LAYOUT_LINEAR: shape[0] = s[1], shape[1] = s[0]; break;
    default: memcpy(shape, s, (size_t)p->ndim * sizeof *shape);
  }
  return p->ndim;
}

// One walk over the vdmc layout; `to_torch` says which side is the source.
static void convert(const ParamInfo *p, float *dst, const float *src, int to_torch) {
  const size_t *s = p->shape;
  switch (kind_of(p)) {
    case LAYOUT_CONV: {  // vdmc index ((y*kw + x)*Cin + i)*Cout + o, PyTorch ((o*Cin + i)*kh + y)*kw + x
      size_t kh = s[0], kw = s[1], ci = s[2], co = s[3];
      for (size_t y = 0; y < kh; y++)
        for (size_t x = 0; x < kw; x++)
          for (size_t i = 0; i < ci; i++)
            for (size_t o = 0; o < co; o++) {
              size_t v = ((y * kw + x) * ci + i) * co + o, t = ((o * ci + i) * kh + y) * kw + x;
              if (to_torch) dst[t] = src[v];
              else dst[v] = src[t];
            }
      break;
    }
    case LAYOUT_LINEAR:  // vdmc i*Cout + o, PyTorch o*Cin + i
      for (size_t i = 0; i < s[0]; i++)
        for (size_t o = 0; o < s[1]; o++) {
          if (to_torch) dst[o * s[0] + i] = src[i * s[1] + o];
          else dst[i * s[1] + o] = src[o * s[0] + i];
        }
      break;
    default: memcpy(dst, src, p->numel * sizeof *dst);
  }
}

void torch_layout_from_vdmc(const ParamInfo *p, float *dst, const float *src) { convert(p, dst, src, 1); }
void torch_layout_to_vdmc(const ParamInfo *p, float *dst, const float *src) { convert(p, dst, src, 0); }
