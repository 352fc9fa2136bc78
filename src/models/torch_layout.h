// vdmc's tensor layouts and PyTorch's (docs/interop.md, "Names and layouts"): the name
// is the same, the memory order differs for convolutions and linear maps.
//   conv weight   vdmc (kh, kw, Cin, Cout)  <->  PyTorch (Cout, Cin, kh, kw)
//   linear weight vdmc (Cin, Cout)          <->  PyTorch (Cout, Cin)
//   anything else (biases, norms, the class table `*.table` (rows, E)): unchanged.
#ifndef VDMC_MODELS_TORCH_LAYOUT_H
#define VDMC_MODELS_TORCH_LAYOUT_H

#include <stddef.h>

#include "core/param_table.h"

// The tensor's PyTorch shape into shape[]; returns its ndim (= p->ndim).
int torch_layout_shape(const ParamInfo *p, size_t shape[PARAM_MAX_DIMS]);
// dst (PyTorch layout) from src (vdmc layout), p->numel floats each.
void torch_layout_from_vdmc(const ParamInfo *p, float *dst, const float *src);
// dst (vdmc layout) from src (PyTorch layout): the inverse.
void torch_layout_to_vdmc(const ParamInfo *p, float *dst, const float *src);

#endif
