// Attention core: vdmc's sgemm-per-(b, head) kernels vs a baseline of textbook loops
// (dot products over the same (B, T, 3C) layout, the same stable softmax) on one
// shape; prints ms per call and the speedup, and vdmc's forward and backward with the
// probabilities recomputed (model.attention_probs) against them saved; where the CPU has
// the AVX512-BF16 kernel, the bf16 op (attention_*_mixed) with P kept as bf16 bits (a
// bf16 run's storage: P and dS never fp32) and as float32 (the fp32 plan), against the
// fp32 op of the same run. Run with OPENBLAS_NUM_THREADS=1 for a single-core comparison:
//   bench_attention [B T C NH]   (default 4 256 256 4)
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ops/attention.h"
#include "ops/bf16_products.h"
#include "ops/gemm_bf16.h"

static double now(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Baseline forward: scores by dot products, softmax, weighted sum of v.
static void loops_forward(float *out, float *probs, const float *qkv, int B, int T, int C,
                          int NH) {
  int D = C / NH;
  float scale = 1.0f / sqrtf((float)D);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      float *p = probs + ((size_t)b * NH + h) * T * T;
      for (int i = 0; i < T; i++) {
        const float *q = qkv + ((size_t)b * T + i) * 3 * C + h * D;
        float *row = p + (size_t)i * T, mx = -INFINITY, sum = 0;
        for (int j = 0; j < T; j++) {
          const float *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * D;
          float s = 0;
          for (int d = 0; d < D; d++) s += q[d] * k[d];
          row[j] = s * scale;
          mx = row[j] > mx ? row[j] : mx;
        }
        for (int j = 0; j < T; j++) sum += row[j] = expf(row[j] - mx);
        for (int j = 0; j < T; j++) row[j] /= sum;
        float *o = out + ((size_t)b * T + i) * C + h * D;
        for (int d = 0; d < D; d++) o[d] = 0;
        for (int j = 0; j < T; j++) {
          const float *v = qkv + ((size_t)b * T + j) * 3 * C + 2 * C + h * D;
          for (int d = 0; d < D; d++) o[d] += row[j] * v[d];
        }
      }
    }
}

// Baseline backward with a (T) row of scratch.
static void loops_backward(float *dqkv, const float *dout, const float *qkv, const float *probs,
                           int B, int T, int C, int NH, float *ds) {
  int D = C / NH;
  float scale = 1.0f / sqrtf((float)D);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *p = probs + ((size_t)b * NH + h) * T * T;
      for (int i = 0; i < T; i++) {
        const float *g = dout + ((size_t)b * T + i) * C + h * D, *row = p + (size_t)i * T;
        float dot = 0;
        for (int j = 0; j < T; j++) {
          const float *v = qkv + ((size_t)b * T + j) * 3 * C + 2 * C + h * D;
          float *dv = dqkv + ((size_t)b * T + j) * 3 * C + 2 * C + h * D;
          float s = 0;
          for (int d = 0; d < D; d++) {
            s += g[d] * v[d];
            dv[d] += row[j] * g[d];
          }
          ds[j] = s;
          dot += s * row[j];
        }
        const float *q = qkv + ((size_t)b * T + i) * 3 * C + h * D;
        float *dq = dqkv + ((size_t)b * T + i) * 3 * C + h * D;
        for (int j = 0; j < T; j++) {
          float s = row[j] * (ds[j] - dot) * scale;
          const float *k = qkv + ((size_t)b * T + j) * 3 * C + C + h * D;
          float *dk = dqkv + ((size_t)b * T + j) * 3 * C + C + h * D;
          for (int d = 0; d < D; d++) {
            dq[d] += s * k[d];
            dk[d] += s * q[d];
          }
        }
      }
    }
}

typedef struct {
  double fwd, bwd;  // seconds per call
} AttnTimes;

// vdmc's forward and backward, reps calls each, with probs saved (a (B, NH, T, T) buffer)
// or recomputed (NULL).
static AttnTimes time_vdmc(float *out, float *probs, float *dqkv, const float *dout,
                           const float *qkv, int B, int T, int C, int NH, float *scratch, int reps) {
  AttnTimes t;
  double t0 = now();
  for (int r = 0; r < reps; r++) attention_forward(out, (AttnSavedProbs){probs, NULL}, qkv, B, T, C, NH, scratch);
  t.fwd = (now() - t0) / reps;
  t0 = now();
  for (int r = 0; r < reps; r++) attention_backward(dqkv, dout, qkv, (AttnSavedProbs){probs, NULL}, B, T, C, NH,
                                                          scratch);
  t.bwd = (now() - t0) / reps;
  return t;
}

// The bf16 op, reps calls each way, P kept as bf16 bits (probs16) or as float32 (probs).
static AttnTimes time_bf16(float *out, float *probs, uint16_t *probs16, float *dqkv,
                           const float *dout, const float *qkv, int B, int T, int C, int NH,
                           float *scratch, int reps) {
  Bf16Operands bf = {NULL, attention_mixed_floats(B, T, C), 0};
  bf.buf = malloc(bf.floats * sizeof *bf.buf);
  const AttnSavedProbs keep = {probs16 ? NULL : probs, probs16};
  // untimed: the buffers' first touch
  attention_forward_mixed(&bf, out, keep, qkv, B, T, C, NH, scratch);
  attention_backward_mixed(&bf, dqkv, dout, mixed_input_f32(qkv), keep, B, T, C, NH, scratch);
  AttnTimes t;
  double t0 = now();
  for (int r = 0; r < reps; r++) attention_forward_mixed(&bf, out, keep, qkv, B, T, C, NH, scratch);
  t.fwd = (now() - t0) / reps;
  t0 = now();
  for (int r = 0; r < reps; r++)
    attention_backward_mixed(&bf, dqkv, dout, mixed_input_f32(qkv), keep, B, T, C, NH, scratch);
  t.bwd = (now() - t0) / reps;
  free(bf.buf);
  return t;
}

int main(int argc, char **argv) {
  int B = 4, T = 256, C = 256, NH = 4;
  if (argc == 5) B = atoi(argv[1]), T = atoi(argv[2]), C = atoi(argv[3]), NH = atoi(argv[4]);
  if (B <= 0 || T <= 0 || C <= 0 || NH <= 0 || C % NH) {
    fprintf(stderr, "bench_attention: need positive B T C NH with C %% NH == 0\n");
    return 1;
  }
  size_t nqkv = (size_t)B * T * 3 * C, nout = (size_t)B * T * C, np = (size_t)B * NH * T * T;
  float *qkv = malloc(nqkv * 4), *out = malloc(nout * 4), *probs = malloc(np * 4);
  float *dout = malloc(nout * 4), *dqkv = calloc(nqkv, 4), *ref = malloc(nout * 4);
  // the recomputing path's scratch is the larger (ops/attention.h)
  float *scratch = malloc(attention_scratch_floats(B, T, C, NH, ATTN_KEPT_NONE) * 4 + (size_t)T * 4);
  for (size_t i = 0; i < nqkv; i++) qkv[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1;
  for (size_t i = 0; i < nout; i++) dout[i] = (float)((i * 40503u) % 1000) / 500.0f - 1;

  int reps = 5;
  double t0 = now();
  for (int r = 0; r < reps; r++) loops_forward(ref, probs, qkv, B, T, C, NH);
  double t_lf = (now() - t0) / reps;
  t0 = now();
  for (int r = 0; r < reps; r++) loops_backward(dqkv, dout, qkv, probs, B, T, C, NH, scratch);
  double t_lb = (now() - t0) / reps;
  AttnTimes saved = time_vdmc(out, probs, dqkv, dout, qkv, B, T, C, NH, scratch, reps);
  double t_f = saved.fwd, t_b = saved.bwd;
  // model.attention_probs: recomputed, against the saved P above
  AttnTimes rec = time_vdmc(out, NULL, dqkv, dout, qkv, B, T, C, NH, scratch, reps);
  double t_rf = rec.fwd, t_rb = rec.bwd;

  double maxdiff = 0;
  for (size_t i = 0; i < nout; i++) maxdiff = fmax(maxdiff, fabs(out[i] - ref[i]));
  double gflop_f = 4.0 * B * NH * (double)T * T * (C / NH) * 1e-9;  // two T x T x D gemms
  printf("attention B=%d T=%d C=%d NH=%d (max |out - baseline| %.2g)\n", B, T, C, NH, maxdiff);
  printf("forward : vdmc %.2f ms (%.1f GFLOP/s)  baseline loops %.2f ms  speedup %.1fx\n",
         t_f * 1e3, gflop_f / t_f, t_lf * 1e3, t_lf / t_f);
  printf("backward: vdmc %.2f ms (%.1f GFLOP/s)  baseline loops %.2f ms  speedup %.1fx\n",
         t_b * 1e3, 2 * gflop_f / t_b, t_lb * 1e3, t_lb / t_b);
  // recomputing backward runs one more T x T x D gemm and the softmax
  printf("P recomputed: forward %.2f ms = %.2fx, backward %.2f ms (%.1f GFLOP/s) = %.2fx of P "
         "saved's\n", t_rf * 1e3, t_rf / t_f, t_rb * 1e3, 2.5 * gflop_f / t_rb, t_rb / t_b);
  if (gemm_bf16_best() != GEMM_BF16_PORTABLE) {
    uint16_t *probs16 = malloc(np * sizeof *probs16);
    AttnTimes bits = time_bf16(out, NULL, probs16, dqkv, dout, qkv, B, T, C, NH, scratch, reps);
    AttnTimes f32 = time_bf16(out, probs, NULL, dqkv, dout, qkv, B, T, C, NH, scratch, reps);
    printf("bf16 (%s), P saved as bf16 bits: forward %.2f ms = %.2fx, backward %.2f ms = %.2fx "
           "of fp32's; P saved as float32 (the fp32 plan): forward %.2f ms, backward %.2f ms; "
           "bits over float32: forward+backward %.2fx\n",
           gemm_bf16_path_name(gemm_bf16_best()), bits.fwd * 1e3, t_f / bits.fwd, bits.bwd * 1e3,
           t_b / bits.bwd, f32.fwd * 1e3, f32.bwd * 1e3,
           (f32.fwd + f32.bwd) / (bits.fwd + bits.bwd));
    free(probs16);
  } else {
    printf("bf16: not timed (this CPU has no AVX512-BF16 kernel)\n");
  }
  free(qkv), free(out), free(probs), free(dout), free(dqkv), free(ref), free(scratch);
  return 0;
}
