// Multi-head self-attention core over T tokens (the q/k/v and output projections
// are `linear` ops around it). qkv (B, T, 3C) holds q | k | v; head h uses channels
// [h*D, (h+1)*D) of each with D = C/NH. P = softmax(q.k^T / sqrt(D)) is computed with
// the row maximum subtracted. Backward reads P either from a (B, NH, T, T) buffer forward
// filled (saved) or recomputes it from qkv, bit for bit, in the scratch (recomputed):
// the same code forms it either way, so both give the same bits (docs/attention.md).
#ifndef VDMC_OPS_ATTENTION_H
#define VDMC_OPS_ATTENTION_H

#include <stddef.h>

// Where backward gets the probabilities from (config key model.attention_probs): a
// memory-for-time trade that changes no result.
typedef enum {
  ATTN_PROBS_SAVED,       // forward keeps P (B, NH, T, T); backward: 4 products per head
  ATTN_PROBS_RECOMPUTED,  // no P kept; backward forms it again: 5 products and a softmax
  ATTN_PROBS_COUNT
} AttnProbs;

// "saved", "recomputed": the values of model.attention_probs.
const char *attn_probs_name(AttnProbs where);

// Floats of scratch forward and backward need. Saved: T * T, backward's dP. Recomputed:
// (pairs per pass + 1) * T * T, a pass's P and backward's dP; after either call the last
// pass's P is at the front.
size_t attention_scratch_floats(int B, int T, int C, int NH, AttnProbs where);
// P of every head, as forward and backward form it (for checks and fixtures).
void attention_probs(float *probs /* (B,NH,T,T) */, const float *qkv /* (B,T,3C) */, int B,
                     int T, int C, int NH);
// probs: where forward keeps P for backward (saved), or NULL: recomputed, formed in the
// scratch (unused when probs is given).
void attention_forward(float *out /* (B,T,C) */, float *probs /* (B,NH,T,T) or NULL */,
                       const float *qkv /* (B,T,3C) */, int B, int T, int C, int NH,
                       float *scratch);
// Accumulates into dqkv; NULL skips. probs: forward's (saved), or NULL: recomputed.
void attention_backward(float *dqkv /* (B,T,3C) */, const float *dout /* (B,T,C) */,
                        const float *qkv, const float *probs /* (B,NH,T,T) or NULL */, int B,
                        int T, int C, int NH, float *scratch);

#endif
