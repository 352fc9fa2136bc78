// One full U-Net (or U-ViT) training step (forward, MSE loss, backward, Adam) in img/s, and model
// FLOP utilization against the sgemm peak measured in the same run:
//   MFU = 3 x analytic forward FLOPs x img/s / sgemm GFLOP/s, the sgemm peak being the
//   better of two 1024^3 sgemm runs (0.5 s before and 0.5 s after the steps: the host
//   may be shared, and a contended peak would flatter the MFU), on OpenBLAS's own
//   threads, as many as the step's pool (blas_sgemm_gflops). The analytic FLOPs are the
//   model's (a 3x3 conv counted as 9*Cin*Cout multiply-adds per pixel), not what the
//   code executes: Winograd does 4 instead of 9 in the 3x3 stride-1 convs
//   (docs/ops.md), so the MFU can pass 100% where those convs dominate.
// Dropout is on (training mode); gradients are zeroed each step as the trainer does.
// Prints per-phase times, the process CPU time per step (with 1 thread on a shared host
// a steadier figure than wall time: waiting for a core is not counted), the activation
// arena bytes per image and the part of it backward reads only as product operands
// (stepnet_operand_only_floats: what the bf16 plan stores in 16 bits), where the rest of
// the arena goes, and a last line
// "RESULT img_per_s=<x>" that profiling/bench_step.sh reads (with bf16 also
// "RESULT_BF16 img_per_s=<x>").
//
// usage: OPENBLAS_NUM_THREADS=T bench_step {fmnist|i64|uvit} [batch=32] [steps=3]
//                                           [bf16] [recomputed]
// (uvit: uvit_config_small, a 64x64 U-ViT; no PyTorch twin in bench_step.sh)
// With bf16 on a CPU with the AVX512-BF16 kernel (ops/gemm_bf16.h) the bf16 MFU is also
// given against the bf16 GEMM peak (blas_bf16_gflops, the better of a run before and
// one after the steps, as the sgemm peak).
// The model keeps attention's probabilities for backward (model.attention_probs: saved).
// With `bf16` the same steps run again with train.precision: bf16 (models/unet.h
// stepnet_set_precision; docs/precision.md) after the fp32 ones, and a last line prints
// bf16 img/s against the fp32 img/s of this run, the rounded-operand buffer's size and
// the rounded weights' copy's (StepNet.bf16_params), and the bf16 plan's arena per image
// against fp32's (the saved product operands in 16 bits). With `recomputed` the same
// steps run again on the model built with model.attention_probs: recomputed (same
// weights), and a last line prints its arena per image and process CPU time per step
// against the saved model's of this run; with both, its bf16 arena too.
#define _POSIX_C_SOURCE 199309L  // clock_gettime
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_gemm_small.h"
#include "blas/blas_bench.h"
#include "blas/blas_startup.h"
#include "core/status.h"
#include "models/unet.h"
#include "models/uvit.h"
#include "optim/adam.h"

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

static void fill(float *x, size_t n, unsigned seed, float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = lo + (hi - lo) * (float)(seed >> 8) / 16777216.0f;
  }
}

typedef struct {
  double fwd, bwd, opt, all, cpu;  // seconds summed over the timed steps
} StepTimes;

typedef struct {
  StepNet *u;
  float *params, *grads, *m, *v, *x, *out, *target, *dout, *lambda;
  int *labels;
  size_t P, ny;
  int B;
} Bench;

// Step s (zeroed gradients, forward, MSE loss, backward, Adam); its phases' ends in
// end[0..2] (after forward, backward, Adam), from now().
static void one_step(const Bench *b, int s, const AdamConfig *ac, double end[3]) {
  DropoutKey key = {.seed = 5, .step = (uint64_t)s, .first_example = 0, .site = 0};
  memset(b->grads, 0, b->P * sizeof *b->grads);
  stepnet_forward(b->u, b->params, b->out, b->x, b->lambda, b->labels, b->B, &key);
  end[0] = now();
  for (size_t i = 0; i < b->ny; i++) b->dout[i] = (b->out[i] - b->target[i]) / (float)b->ny;
  stepnet_backward(b->u, b->params, b->grads, b->dout, NULL, NULL);
  end[1] = now();
  adam_step_slice(b->params, b->m, b->v, b->grads, 0, b->P, &b->u->params.table, ac, 1e-4, s + 1,
                  1.0f);
  stepnet_params_changed(b->u);  // as the trainer: bf16 rounds the new weights once
  end[2] = now();
}

// Step 0, untimed: the arena's first touch and the first rounding of the weights. Its
// own frame (noinline), so that a profile can leave it out (profiling/step_gemm_share.py).
static __attribute__((noinline)) void warm_up_step(const Bench *b, const AdamConfig *ac) {
  double end[3];
  one_step(b, 0, ac, end);
}

static StepTimes time_steps(const Bench *b, int steps) {
  StepTimes t = {0};
  AdamConfig ac;
  adam_config_default(&ac);
  warm_up_step(b, &ac);
  for (int s = 1; s <= steps; s++) {
    double end[3], t0 = now(), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    one_step(b, s, &ac, end);
    t.cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    t.fwd += end[0] - t0;
    t.bwd += end[1] - end[0];
    t.opt += end[2] - end[1];
    t.all += end[2] - t0;
  }
  return t;
}

// Where the arena's bytes per image go (docs/precision.md, "Activations saved for
// backward"): the steps' outputs, the gradient buffers and temporaries (the skip sources'
// gradients, the two ping-pong gradients, the three block temporaries and the norm
// scratch, the kernels' scratch, which holds the attention probabilities of a few heads
// at a time when they are recomputed), the saved tensors backward reads only as bf16
// product operands, the saved attention probabilities, and the rest (conv outputs h2,
// GELU inputs (their slopes' bits in the bf16 plan), the norms' statistics, the
// embedding; in the bf16 plan the GroupNorms' normalized inputs' bits and the plain
// convs' inputs' bits, which stand in for the step outputs it does not keep).
// In floats of the arena: the bf16 plan keeps two probabilities per float.
typedef struct {
  int B;
  double floats;
} SavedProbs;

static void add_saved_probs(void *ctx, AttnCore *t) {
  SavedProbs *s = ctx;
  double n = (double)s->B * t->NH * t->HW * t->HW;
  s->floats += t->probs.f32 ? n : t->probs.bf16 ? n / 2 : 0;
}

// The arena floats of the saved product operands as the plan keeps them: float32, bf16
// bits (two per float) or, recomputed in the bf16 plan, none.
typedef struct {
  int B;
  double floats;
} KeptOperands;

static void add_kept_operand(void *ctx, SavedOperand *o, size_t floats_per_example) {
  KeptOperands *k = ctx;
  double n = (double)k->B * floats_per_example;
  k->floats += o->f32 ? n : o->bf16 ? n / 2 : 0;
}

static void print_arena_parts(StepNet *u, int B) {
  double outs = 0, grads = 6.0 * B * u->max_tensor + u->max_op_scratch;
  for (int k = 0; k < u->n_steps; k++) {
    const UNetStep *s = &u->steps[k];
    double n = (double)B * s->H * s->W * s->C;
    outs += s->out_saved ? n : 0;
    // (a skip source no backward reads holds its own gradient: counted as an output)
    grads += s->is_skip_source && s->grad != s->out ? n : 0;
  }
  SavedProbs saved = {B, 0};
  stepnet_visit_attn_cores(u, add_saved_probs, &saved);
  const double probs = saved.floats;
  KeptOperands kept = {B, 0};
  stepnet_visit_operand_only(u, add_kept_operand, &kept);
  const double only = kept.floats;
  double all = (double)u->arena.capacity, mb = 4.0 / B / 1e6;
  printf("  arena per image (attention probabilities %s, %s plan): step outputs %.2f MB, "
         "gradients and temporaries %.2f, operand-only %.2f, attention probabilities %.2f, "
         "the rest %.2f\n", attn_probs_name(u->cfg.attention_probs),
         u->storage == PREC_BF16 ? "bf16" : "fp32", outs * mb, grads * mb, only * mb, probs * mb,
         (all - outs - grads - only - probs) * mb);
}

// A precision switch the benchmark cannot go on without: 0 (and the error) on failure.
static int switched(StepNet *u, Precision p) {
  if (stepnet_set_precision(u, p) == VDMC_OK) return 1;
  fprintf(stderr, "bench_step: %s\n", vdmc_error_message());
  return 0;
}

// The benchmark's model: the U-Net config cfg, or the U-ViT vcfg, with attention's
// probabilities saved or recomputed.
static int create_model(StepNet *u, int is_uvit, UNetConfig cfg, UViTConfig vcfg, int B,
                        AttnProbs where) {
  cfg.attention_probs = where;
  vcfg.common.attention_probs = where;
  return is_uvit ? uvit_create(u, &vcfg, B) : unet_create(u, &cfg, B);
}

int main(int argc, char **argv) {
  if (blas_select_or_reexec(argc, argv) != VDMC_OK) {
    fprintf(stderr, "bench_step: %s\n", vdmc_error_message());
    return 1;
  }
  if (bench_gemm_small_from_env("bench_step")) return 1;
  const char *name = argc > 1 ? argv[1] : "fmnist";
  int B = argc > 2 ? atoi(argv[2]) : 32, steps = argc > 3 ? atoi(argv[3]) : 3;
  UNetConfig cfg;
  UViTConfig vcfg = uvit_config_small();
  int is_uvit = strcmp(name, "uvit") == 0;
  if (strcmp(name, "fmnist") == 0) {
    cfg = unet_config_fmnist_default();
  } else if (strcmp(name, "i64") == 0) {
    cfg = unet_config_imagenet64_small();
  } else if (!is_uvit) {
    fprintf(stderr, "bench_step: unknown config '%s' (fmnist, i64 or uvit)\n", name);
    return 1;
  }
  if (B < 1 || steps < 1) {
    fprintf(stderr, "bench_step: batch and steps must be >= 1\n");
    return 1;
  }
  long calls;
  double peak = blas_sgemm_gflops(1024, 0.5, &calls);
  int bf16 = 0, recomputed = 0;
  for (int i = 4; i < argc; i++) {
    bf16 |= !strcmp(argv[i], "bf16");
    recomputed |= !strcmp(argv[i], "recomputed");
    if (strcmp(argv[i], "bf16") && strcmp(argv[i], "recomputed")) {
      fprintf(stderr, "bench_step: unknown mode '%s' (bf16, recomputed)\n", argv[i]);
      return 1;
    }
  }
  // the bf16 peak, as the sgemm one: the better of a run before and one after the steps
  double peak16 = bf16 ? blas_bf16_gflops(1024, 0.5, &calls) : 0;
  UNetConfig base_cfg = cfg;
  StepNet u;
  if (create_model(&u, is_uvit, cfg, vcfg, B, ATTN_PROBS_SAVED) != VDMC_OK) {
    fprintf(stderr, "bench_step: %s\n", vdmc_error_message());
    return 1;
  }
  cfg = u.cfg;  // for a U-ViT: the fields shared with the U-Net (channels, classes)
  size_t P = stepnet_param_floats(&u), R = (size_t)cfg.resolution;
  size_t nx = (size_t)B * R * R * cfg.in_channels, ny = (size_t)B * R * R * cfg.out_channels;
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P);
  float *m = vdmc_alloc_floats(P), *v = vdmc_alloc_floats(P);
  float *x = vdmc_alloc_floats(nx), *out = vdmc_alloc_floats(ny), *target = vdmc_alloc_floats(ny);
  float *dout = vdmc_alloc_floats(ny), *lambda = vdmc_alloc_floats((size_t)B);
  int *labels = calloc((size_t)B, sizeof *labels);
  if (!params || !grads || !m || !v || !x || !out || !target || !dout || !lambda || !labels) {
    fprintf(stderr, "bench_step: out of memory\n");
    return 1;
  }
  stepnet_init_params(&u, params, 1);
  fill(x, nx, 1, -1, 1);
  fill(target, ny, 2, -1, 1);
  fill(lambda, (size_t)B, 3, -10, 10);
  for (int b = 0; b < B; b++) labels[b] = b % (cfg.num_classes + 1);
  Bench b = {&u, params, grads, m, v, x, out, target, dout, lambda, labels, P, ny, B};
  StepTimes t = time_steps(&b, steps);
  double t_fwd = t.fwd, t_bwd = t.bwd, t_opt = t.opt, t_all = t.all, t_cpu = t.cpu;
  StepTimes tb = {0}, tr = {0};
  StepNet ur;  // recomputed: the same model and weights, P recomputed in backward
  if (recomputed && create_model(&ur, is_uvit, base_cfg, vcfg, B, ATTN_PROBS_RECOMPUTED) != VDMC_OK) {
    fprintf(stderr, "bench_step: %s\n", vdmc_error_message());
    return 1;
  }
  if (recomputed) {
    Bench br = b;
    br.u = &ur;
    stepnet_init_params(&ur, params, 1);  // the saved model's steps moved them
    memset(m, 0, P * sizeof *m);
    memset(v, 0, P * sizeof *v);
    tr = time_steps(&br, steps);
  }
  // the fp32 figures, printed below; the switch to bf16 plans the arena anew
  size_t arena32 = u.arena.capacity, act32 = stepnet_arena_bytes_per_image(&u);
  size_t arena32r = recomputed ? stepnet_arena_bytes_per_image(&ur) : 0;
  if (bf16 && stepnet_set_precision(&u, PREC_BF16) != VDMC_OK) {
    fprintf(stderr, "bench_step: %s\n", vdmc_error_message());
    return 1;
  }
  if (bf16) tb = time_steps(&b, steps);
  size_t act16 = stepnet_arena_bytes_per_image(&u);
  if (bf16 && !switched(&u, PREC_FP32)) return 1;  // for the fp32 lines below
  double peak2 = blas_sgemm_gflops(1024, 0.5, &calls);
  if (peak2 > peak) peak = peak2;
  double peak16b = bf16 ? blas_bf16_gflops(1024, 0.5, &calls) : 0;
  if (peak16b > peak16) peak16 = peak16b;
  double ips = (double)B * steps / t_all;
  double fwd = stepnet_flops_per_image(&u);
  double achieved = 3.0 * fwd * ips / 1e9;
  printf("bench_step %s: %s; gemm_small %s\n", name, blas_report_line(),
         gemm_small_path_name(gemm_small_path()));
  printf("  params %zu, forward %.3f GFLOP/image, activations %.2f MB/image (arena %.1f MB for batch %d)\n",
         stepnet_num_params(&u), fwd / 1e9, act32 / 1e6, arena32 * 4.0 / 1e6, B);
  // what the bf16 plan's 16-bit storage of the saved product operands saves (models/unet.h)
  double act = (double)act32, only = 4.0 * stepnet_operand_only_floats(&u);
  printf("  of which %.2f MB/image are read by backward only as bf16 product operands: 16-bit "
         "storage of those = %.3f x the arena\n", only / 1e6, (act - only / 2) / act);
  print_arena_parts(&u, B);
  printf("  batch %d, %d steps: %.3f s/step (forward %.3f, backward %.3f, adam %.3f), "
         "process CPU %.3f s/step\n", B, steps, t_all / steps, t_fwd / steps, t_bwd / steps,
         t_opt / steps, t_cpu / steps);
  printf("  %.2f img/s, %.1f GFLOP/s (3x forward), sgemm peak %.1f GFLOP/s, MFU %.1f%%\n", ips,
         achieved, peak, 100.0 * achieved / peak);
  if (bf16)
    printf("  bf16 (%s): %.3f s/step (forward %.3f, backward %.3f), %.2f img/s = %.3f x fp32; "
           "process CPU %.3f s/step = %.3f x fp32's; rounded operands %.1f MB, weights %.1f MB\n",
           bf16_path_name(), tb.all / steps, tb.fwd / steps, tb.bwd / steps,
           (double)B * steps / tb.all, t_all / tb.all, tb.cpu / steps, t_cpu / tb.cpu,
           u.bf16.floats * 4.0 / 1e6, bf16 ? P * 4.0 / 1e6 : 0.0);
  if (bf16 && peak16 > 0) {
    double achieved16 = 3.0 * fwd * B * steps / tb.all / 1e9;
    printf("  bf16: %.1f GFLOP/s (3x forward), bf16 GEMM peak %.1f GFLOP/s (%.2f x sgemm's), "
           "MFU %.1f%% of it\n", achieved16, peak16, peak16 / peak, 100.0 * achieved16 / peak16);
  }
  if (bf16) {
    printf("  bf16 plan: arena %.2f MB/image = %.3f x fp32's\n", act16 / 1e6, (double)act16 / act32);
    if (!switched(&u, PREC_BF16)) return 1;
    print_arena_parts(&u, B);
  }
  if (recomputed) {
    print_arena_parts(&ur, B);
    printf("  P recomputed: arena %.2f MB/image = %.3f x saved's; %.3f s/step (forward %.3f, "
           "backward %.3f); process CPU %.3f s/step = %.3f x saved's\n",
           arena32r / 1e6, (double)arena32r / act32, tr.all / steps, tr.fwd / steps,
           tr.bwd / steps, tr.cpu / steps, tr.cpu / t_cpu);
    if (bf16) {
      if (!switched(&ur, PREC_BF16)) return 1;
      size_t act16r = stepnet_arena_bytes_per_image(&ur);
      print_arena_parts(&ur, B);
      printf("  P recomputed, bf16 plan: arena %.2f MB/image = %.3f x its fp32 plan's, %.3f x "
             "the saved fp32 plan's\n", act16r / 1e6, (double)act16r / arena32r,
             (double)act16r / act32);
    }
    stepnet_free(&ur);
  }
  printf("RESULT img_per_s=%.4f mfu=%.4f cpu_s_per_step=%.4f\n", ips, achieved / peak,
         t_cpu / steps);
  if (bf16)
    printf("RESULT_BF16 img_per_s=%.4f cpu_s_per_step=%.4f\n", (double)B * steps / tb.all,
           tb.cpu / steps);
  stepnet_free(&u);
  return 0;
}
