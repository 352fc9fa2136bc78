// Global gradient-norm clipping over slices of the flat gradient buffer.
// Each rank (or shard) computes the partial sum of squares of its slice in
// double; the caller sums the partials (MPI_Allreduce of one double) and turns
// the total into a norm and a scale, which adam_step_slice applies as grad_scale.
#ifndef VDMC_OPTIM_CLIP_H
#define VDMC_OPTIM_CLIP_H

#include <stddef.h>

// sum_i grad[i]^2 accumulated in double: a partial, not yet a norm.
double clip_sum_squares(const float *grad /* (n) */, size_t n);

// From the total sum of squares: *norm = sqrt(total) and
// *scale = min(1, max_norm / (norm + 1e-6)) (torch.nn.utils.clip_grad_norm_);
// max_norm <= 0 disables clipping (scale 1). Returns VDMC_ERR_NUMERIC if the
// total is not finite (a NaN/Inf gradient: the step must not be applied).
int clip_scale(double total_sum_squares, double max_norm, double *norm, float *scale);

#endif
