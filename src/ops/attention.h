// Multi-head self-attention core over T tokens (the q/k/v and output projections
// are `linear` ops around it). qkv (B, T, 3C) holds q | k | v; head h uses channels
// [h*D, (h+1)*D) of each with D = C/NH. P = softmax(q.k^T / sqrt(D)) is computed with
// the row maximum subtracted, and is not saved: backward recomputes it from qkv, bit for
// bit, in the scratch.
#ifndef VDMC_OPS_ATTENTION_H
#define VDMC_OPS_ATTENTION_H

#include <stddef.h>

// Floats of scratch forward and backward need: (pairs per pass + 1) * T * T, a pass's P
// and backward's dP; after either call the last pass's P is at the front.
size_t attention_scratch_floats(int B, int T, int C, int NH);
// P of every head, as forward and backward form it (for checks and fixtures).
void attention_probs(float *probs /* (B,NH,T,T) */, const float *qkv /* (B,T,3C) */, int B,
                     int T, int C, int NH);
void attention_forward(float *out /* (B,T,C) */, const float *qkv /* (B,T,3C) */, int B, int T,
                       int C, int NH, float *scratch);
// Accumulates into dqkv; NULL skips.
void attention_backward(float *dqkv /* (B,T,3C) */, const float *dout /* (B,T,C) */,
                        const float *qkv, int B, int T, int C, int NH, float *scratch);

#endif
