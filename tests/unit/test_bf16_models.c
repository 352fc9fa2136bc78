// The U-Net and the U-ViT in bf16 against fp32 (docs/precision.md, "Whole model"): the
// same parameters, batch and upstream gradient; every parameter tensor's gradient, dx,
// dlambda and the output in bf16 within the stated relative L2 tolerance of fp32
// (TOL = 32u = 0.125, u = 2^-8, per tensor; 8u = 0.03 on the whole gradient), the
// rounding visible (the whole gradient moves by more than u/8), and switching back to
// fp32 gives fp32's bits again. The weights rounded once into the model's copy
// (stepnet_product_params) give the bits of rounding them in every call, and the copy
// follows the params: made again for another buffer or after stepnet_params_changed.
// bf16 -> fp32 -> bf16 keeps the bf16 buffers (allocated once) and gives bf16's bits.
// The saved activations stepnet_visit_operand_only names can be rounded to bf16 between
// forward and backward with no bit of the bf16 step changed (rounding one it does not
// name changes them), and so the bf16 plan, which stores them as bf16 bits, gives the
// bits of the fp32-stored plan (bf16 products on float32 storage: the bf16 step before
// the bf16 plan existed): output, every parameter gradient, dx and dlambda, for the small
// U-Net with and without res-block resampling and the U-ViT, with dropout, attention's
// probabilities saved and recomputed; so no backward reads a step output the bf16 plan
// dropped, and the scale-shift outputs it recomputes are made as bf16 products on the
// fp32 plan make them; its arena is smaller than the fp32-stored one by exactly the bytes
// halved or dropped (with the arena's alignment; the MLPs' GELU keeps its slope's bf16
// bits instead of its input, the norms their normalized input's bits, which bf16
// products on the fp32 plan round from the input: the same values), less the bits it
// adds; with dropout, bf16 stays within 8u of fp32 on the whole gradient (the recomputed
// conv2 inputs take forward's mask); and fp32 after it is fp32's bits again.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "small_models.h"
#include "core/half_float.h"
#include "core/param_table.h"
#include "core/status.h"
#include "models/unet.h"
#include "models/uvit.h"
#include "ops/bf16.h"

static const double U = 1.0 / 256;

typedef struct {
  float *out, *grads, *dx, *dlambda;
} Pass;

static void round_saved(void *ctx, float *saved, size_t floats_per_example) {
  round_to_bf16(saved, saved, (size_t)*(const int *)ctx * floats_per_example);
}

// A saved product operand of the fp32 plan rounded in place.
static void round_saved_operand(void *ctx, SavedOperand *saved, size_t floats_per_example) {
  round_saved(ctx, saved->f32, floats_per_example);
}

// between (or NULL) runs on u and B between forward and backward.
static Pass run_between(StepNet *u, const float *params, const float *x, const float *lambda,
                        const int *labels, const float *dout, int B, size_t n_in, size_t n_out,
                        void (*between)(StepNet *u, int B)) {
  Pass p = {calloc(n_out, sizeof(float)), calloc(stepnet_param_floats(u), sizeof(float)),
            calloc(n_in, sizeof(float)), calloc(B, sizeof(float))};
  CHECK(stepnet_forward(u, params, p.out, x, lambda, labels, B, NULL) == VDMC_OK, "forward: %s",
        vdmc_error_message());
  if (between) between(u, B);
  CHECK(stepnet_backward(u, params, p.grads, dout, p.dx, p.dlambda) == VDMC_OK, "backward");
  return p;
}

static Pass run(StepNet *u, const float *params, const float *x, const float *lambda,
                const int *labels, const float *dout, int B, size_t n_in, size_t n_out) {
  return run_between(u, params, x, lambda, labels, dout, B, n_in, n_out, NULL);
}

// The saved activations stepnet_visit_operand_only names, rounded to bf16 in place.
static void round_operand_only(StepNet *u, int B) {
  stepnet_visit_operand_only(u, round_saved_operand, &B);
}

// Floats of the arena one saved operand of n floats takes in each storage.
static size_t arena_size(size_t n) {
  return (n + PARAM_ALIGN_FLOATS - 1) / PARAM_ALIGN_FLOATS * PARAM_ALIGN_FLOATS;
}

typedef struct {
  int B;
  size_t saved;  // floats the bf16 plan saves
  int count, recomputed;
} StorageSum;

// (u in the bf16 plan: a recomputed one is not kept at all)
static void add_saving(void *ctx, SavedOperand *o, size_t floats_per_example) {
  StorageSum *sum = ctx;
  size_t n = (size_t)sum->B * floats_per_example;
  sum->saved += arena_size(n) - (o->recomputed ? 0 : arena_size((n + 1) / 2));
  sum->recomputed += o->recomputed;
  sum->count++;
}

// The floats the bf16 plan saves on attention core t's probabilities (none when they are
// recomputed): it keeps their bf16 bits, two per float.
typedef struct {
  int B;
  size_t floats;
} ProbsSaving;

static void add_probs_saving(void *ctx, AttnCore *t) {
  ProbsSaving *s = ctx;
  if (t->probs_kept != ATTN_PROBS_SAVED) return;
  size_t n = (size_t)s->B * t->NH * t->HW * t->HW;
  s->floats += arena_size(n) - arena_size((n + 1) / 2);
}

static size_t all_probs_saving(StepNet *u) {
  ProbsSaving s = {u->max_batch, 0};
  stepnet_visit_attn_cores(u, add_probs_saving, &s);
  return s.floats;
}

// The floats the bf16 plan saves on the MLPs' GELU: the slope's bf16 bits kept instead of
// the fc1 output.
static size_t all_slope_saving(const StepNet *u) {
  size_t floats = 0;
  for (int i = 0; i < u->n_xfmr; i++) {
    const XfmrBlock *x = &u->xfmr[i];
    if (x->kind != XFMR_MLP) continue;
    size_t n = (size_t)u->max_batch * x->T * x->F;
    floats += arena_size(n) - arena_size((n + 1) / 2);
  }
  return floats;
}

// The floats the bf16 plan saves on the res blocks' GN2: the bits of its normalized input
// rounded kept instead of conv1's output.
static size_t all_h2_saving(const StepNet *u) {
  size_t floats = 0;
  for (int i = 0; i < u->n_res; i++) {
    const ResBlock *r = &u->res[i];
    size_t n = (size_t)u->max_batch * r->Ho * r->Wo * r->Co;
    floats += arena_size(n) - arena_size((n + 1) / 2);
  }
  return floats;
}

// The floats the bf16 plan saves on the steps' outputs (u in the bf16 plan): an output no
// backward reads and no CONCAT needs goes to the ping-pong buffers, a skip source no
// backward reads holds its own gradient; less the 16-bit copies of the steps' inputs
// that replace them: every norm's normalized input (but GN2's, counted above) and
// the inputs of the plain convs after the stem.
static size_t all_output_saving(const StepNet *u) {
  size_t B = (size_t)u->max_batch, saved = 0, copies = 0;
  for (int k = 0; k < u->n_steps; k++) {
    const UNetStep *s = &u->steps[k];
    size_t n = B * s->H * s->W * s->C;
    if (s->kind != UNET_STEP_HEAD && !s->out_saved) saved += arena_size(n);
    if (s->is_skip_source && s->grad == s->out) saved += arena_size(n);
  }
  const GnUnit *gn[256];
  int ngn = 0;
  for (int i = 0; i < u->n_res; i++) gn[ngn++] = &u->res[i].in.gn;
  for (int i = 0; i < u->n_attn; i++) gn[ngn++] = &u->attn[i].gn;
  gn[ngn++] = &u->head.gn;
  CHECK(ngn <= 256, "more GroupNorms than the test's list");
  for (int i = 0; i < ngn; i++) {
    CHECK(gn[i]->normal != NULL, "a GroupNorm of the bf16 plan keeps no normalized input");
    copies += arena_size((B * gn[i]->HW * gn[i]->C + 1) / 2);
  }
  const ConvUnit *conv[256];
  int nconv = 0;
  for (int i = 0; i < u->n_conv; i++) conv[nconv++] = &u->conv[i];
  for (int i = 0; i < u->n_res; i++)
    if (u->res[i].has_skip) conv[nconv++] = &u->res[i].skip;
  for (int i = 0; i < nconv; i++)
    if (conv[i]->saves_input) copies += arena_size((B * conv_unit_input_floats(conv[i]) + 1) / 2);
  for (int i = 0; i < u->n_xfmr; i++) {
    CHECK(u->xfmr[i].normal != NULL, "a LayerNorm of the bf16 plan keeps no normalized input");
    copies += arena_size((B * u->xfmr[i].T * u->xfmr[i].C + 1) / 2);
  }
  return saved - copies;
}

// A control: saved tensors backward reads in fp32 on the fp32 plan (the first res block's
// conv1 output, from which GN2's backward and its recomputed output form their rounded
// normalized input; the first transformer MLP's fc1 output, GELU's backward reads it).
static void round_fp32_saved(StepNet *u, int B) {
  if (u->n_res) round_saved(&B, u->res[0].h2, (size_t)u->res[0].Ho * u->res[0].Wo * u->res[0].Co);
  for (int i = 0; i < u->n_xfmr; i++)
    if (u->xfmr[i].kind == XFMR_MLP) {
      round_saved(&B, u->xfmr[i].u, (size_t)u->xfmr[i].T * u->xfmr[i].F);
      break;
    }
}

static void pass_free(Pass *p) { free(p->out), free(p->grads), free(p->dx), free(p->dlambda); }

static int same_pass(const Pass *a, const Pass *b, size_t P, size_t n_in, size_t n_out, int B) {
  return !memcmp(a->out, b->out, n_out * sizeof(float)) &&
         !memcmp(a->grads, b->grads, P * sizeof(float)) &&
         !memcmp(a->dx, b->dx, n_in * sizeof(float)) && !memcmp(a->dlambda, b->dlambda, B * sizeof(float));
}

// In bf16: the model's rounded copy of its weights against the ops rounding each weight
// per call (the copy made unrounded and the ops told to round, as before the copy
// existed), and the copy's lifetime: an in-place change of params is seen after
// stepnet_params_changed, a second buffer is rounded on its own.
static void check_weight_copy(const char *model, StepNet *u, float *params, const Pass *b16,
                              const float *x, const float *lambda, const int *labels,
                              const float *dout, int B, size_t n_in, size_t n_out) {
  size_t P = stepnet_param_floats(u);
  memcpy(u->bf16_params, params, P * sizeof(float));
  u->bf16_params_of = params;
  u->bf16.weights_rounded = 0;
  Pass per_call = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  u->bf16.weights_rounded = 1;
  stepnet_params_changed(u);
  CHECK(same_pass(&per_call, b16, P, n_in, n_out, B),
        "%s: weights rounded once do not give the bits of rounding them per call", model);

  float *other = vdmc_alloc_floats(P);
  for (size_t i = 0; i < P; i++) other[i] = params[i] * 1.25f;
  Pass scaled = run(u, other, x, lambda, labels, dout, B, n_in, n_out);
  memcpy(other, params, P * sizeof(float));  // in place, and said so: params' bits again
  stepnet_params_changed(u);
  Pass back = run(u, other, x, lambda, labels, dout, B, n_in, n_out);
  CHECK(!same_pass(&scaled, b16, P, n_in, n_out, B) && same_pass(&back, b16, P, n_in, n_out, B),
        "%s: the rounded copy does not follow the params it is given", model);
  Pass again = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  CHECK(same_pass(&again, b16, P, n_in, n_out, B), "%s: a second params buffer is not rounded anew",
        model);
  CHECK(stepnet_backward(u, other, again.grads, dout, NULL, NULL) == VDMC_ERR_INTERNAL,
        "%s: backward on other params than forward's is not refused", model);
  pass_free(&per_call), pass_free(&scaled), pass_free(&back), pass_free(&again);
  vdmc_free_floats(other);
}

// The stem (conv[0]) reads z in fp32 (docs/precision.md, "The stem in fp32"): its
// product takes no bf16 operands, the rounded weights' copy holds its weight as given,
// and an input change that rounding to bf16 would erase (each x halfway to its bf16
// value) reaches the output.
static void check_stem_fp32(const char *model, StepNet *u, const float *params, const Pass *b16,
                            const float *x, const float *lambda, const int *labels,
                            const float *dout, int B, size_t n_in, size_t n_out) {
  const ConvUnit *stem = &u->conv[0];
  const ConvUnit *head = &u->head.conv;  // the output conv: bf16 like every other product
  CHECK(stem->bf == NULL && head->bf == &u->bf16,
        "%s: the stem takes bf16 operands, or the output conv does not", model);
  const float *copy = stepnet_product_params(u, params);
  size_t nw = (size_t)stem->k * stem->k * stem->Cin * stem->Cout;
  CHECK(!memcmp(copy + stem->w, params + stem->w, nw * sizeof(float)),
        "%s: the stem's weight is rounded in the bf16 copy", model);
  size_t nh = (size_t)head->k * head->k * head->Cin * head->Cout;
  CHECK(memcmp(copy + head->w, params + head->w, nh * sizeof(float)),
        "%s: the output conv's weight is not rounded in the bf16 copy", model);
  float *x2 = malloc(n_in * sizeof *x2);
  for (size_t i = 0; i < n_in; i++) {  // halfway to x's bf16 value: the same bf16, not the same float
    float r = f32_from_bf16(bf16_from_f32(x[i]));
    x2[i] = x[i] + (r - x[i]) / 2;
  }
  Pass tiny = run(u, params, x2, lambda, labels, dout, B, n_in, n_out);
  CHECK(memcmp(tiny.out, b16->out, n_out * sizeof(float)),
        "%s: an input change below bf16's resolution does not reach the output", model);
  pass_free(&tiny);
  free(x2);
}

// ||a - b|| / ||b||
static double rel_l2(const float *a, const float *b, size_t n) {
  double d = 0, r = 0;
  for (size_t i = 0; i < n; i++) d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]), r += (double)b[i] * b[i];
  return r > 0 ? sqrt(d / r) : sqrt(d);
}

static void compare(const char *model, StepNet *u, int R, int Cin, int Cout) {
  enum { B = 3 };
  size_t n_in = (size_t)B * R * R * Cin, n_out = (size_t)B * R * R * Cout, P = stepnet_param_floats(u);
  float *params = vdmc_alloc_floats(P), *noise = vdmc_alloc_floats(P);
  float *x = calloc(n_in, sizeof *x), *dout = calloc(n_out, sizeof *dout);
  float lambda[B] = {-4.0f, 0.5f, 6.0f};
  int labels[B] = {1, 0, 2};
  // ADM init zeroes the output layers; a perturbation makes every gradient non-zero
  stepnet_init_params(u, params, 7);
  fill_uniform(noise, P, 8, -0.05f, 0.05f);
  for (size_t i = 0; i < P; i++) params[i] += noise[i];
  fill_uniform(x, n_in, 9, -1, 1);
  fill_uniform(dout, n_out, 10, -1, 1);

  Pass f32 = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  CHECK(stepnet_set_precision(u, PREC_BF16) == VDMC_OK, "bf16: %s", vdmc_error_message());
  Pass b16 = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  check_weight_copy(model, u, params, &b16, x, lambda, labels, dout, B, n_in, n_out);
  check_stem_fp32(model, u, params, &b16, x, lambda, labels, dout, B, n_in, n_out);
  // the saved activations backward reads only as product operands, stored as float32
  // (bf16 products on the fp32 plan): rounding them to bf16 (what the bf16 plan keeps)
  // changes no bit of the bf16 step; a tensor backward reads in fp32 would
  CHECK(stepnet_plan_storage(u, PREC_FP32) == VDMC_OK, "%s: fp32 storage", model);
  Pass rs = run_between(u, params, x, lambda, labels, dout, B, n_in, n_out, round_operand_only);
  Pass ctl = run_between(u, params, x, lambda, labels, dout, B, n_in, n_out, round_fp32_saved);
  size_t only = stepnet_operand_only_floats(u), arena = stepnet_arena_bytes_per_image(u) / sizeof(float);
  printf("%s: saved activations read only as bf16 operands: %zu of %zu floats per example "
         "(%.1f%% of the arena)\n", model, only, arena, 100.0 * only / arena);
  CHECK(only > 0 && only < arena, "%s: %zu operand-only floats of %zu", model, only, arena);
  CHECK(same_pass(&rs, &b16, P, n_in, n_out, B),
        "%s: a saved activation named operand-only is read in fp32 by backward", model);
  CHECK(!same_pass(&ctl, &b16, P, n_in, n_out, B), "%s: rounding a saved fp32 tensor changed nothing",
        model);
  pass_free(&rs), pass_free(&ctl);
  CHECK(stepnet_plan_storage(u, PREC_BF16) == VDMC_OK, "%s: bf16 storage", model);
  CHECK(stepnet_set_precision(u, PREC_FP32) == VDMC_OK, "back to fp32");
  Pass again = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  CHECK(!memcmp(again.grads, f32.grads, P * sizeof(float)) &&
            !memcmp(again.out, f32.out, n_out * sizeof(float)),
        "%s: fp32 after bf16 is not fp32's bits", model);
  // and bf16 again (as after an evaluation in training): the same operand buffer and
  // weights' copy (the arena is planned again), bf16's bits
  const float *buf = u->bf16.buf, *copy = u->bf16_params;
  CHECK(stepnet_set_precision(u, PREC_BF16) == VDMC_OK, "bf16 again");
  CHECK(u->bf16.buf == buf && u->bf16_params == copy, "%s: bf16 again allocated anew", model);
  Pass b16_again = run(u, params, x, lambda, labels, dout, B, n_in, n_out);
  CHECK(same_pass(&b16_again, &b16, P, n_in, n_out, B), "%s: bf16 after fp32 is not bf16's bits", model);
  pass_free(&b16_again);
  CHECK(stepnet_set_precision(u, PREC_FP32) == VDMC_OK, "fp32 again");

  const double tol = 32 * U, tol_all = 8 * U;
  double worst = 0, out_err = rel_l2(b16.out, f32.out, n_out);
  const char *worst_name = "";
  const ParamTable *t = &u->params.table;
  for (size_t i = 0; i < t->count; i++) {
    const ParamInfo *pi = &t->items[i];
    double e = rel_l2(b16.grads + pi->offset, f32.grads + pi->offset, pi->numel);
    CHECK(e <= tol, "%s: gradient of %s off by %.4f relative (tolerance %.4f)", model, pi->name,
          e, tol);
    if (e > worst) worst = e, worst_name = pi->name;
  }
  double all = rel_l2(b16.grads, f32.grads, P), edx = rel_l2(b16.dx, f32.dx, n_in);
  double edl = rel_l2(b16.dlambda, f32.dlambda, B);
  printf("%s: relative L2 bf16 vs fp32: output %.2e, all gradients %.2e, worst tensor %.2e (%s), "
         "dx %.2e, dlambda %.2e (u = %.2e)\n", model, out_err, all, worst, worst_name, edx, edl, U);
  CHECK(out_err <= tol_all && all <= tol_all && edx <= tol && edl <= tol,
        "%s: output %.4f, gradient %.4f (tolerance %.4f), dx %.4f, dlambda %.4f (%.4f)", model,
        out_err, all, tol_all, edx, edl, tol);
  CHECK(all > U / 8, "%s: bf16 gradients within %.2e of fp32: is the rounding applied?", model, all);
  pass_free(&f32), pass_free(&b16), pass_free(&again);
  vdmc_free_floats(params), vdmc_free_floats(noise), free(x), free(dout);
}

// The bf16 plan against bf16 products on the fp32 plan (dropout on): the same bits, and
// the arena smaller by the halved operands.
static void check_storage(const char *model, StepNet *u) {
  enum { B = 3 };
  int R = u->cfg.resolution, Cin = u->cfg.in_channels, Cout = u->cfg.out_channels;
  size_t n_in = (size_t)B * R * R * Cin, n_out = (size_t)B * R * R * Cout;
  size_t P = stepnet_param_floats(u);
  float *params = vdmc_alloc_floats(P), *x = calloc(n_in, sizeof *x);
  float *dout = calloc(n_out, sizeof *dout), lambda[B] = {-4.0f, 0.5f, 6.0f};
  int labels[B] = {1, 0, 2};
  fill_uniform(params, P, 21, -0.3f, 0.3f);  // every weight non-zero: every path carries signal
  fill_uniform(x, n_in, 22, -1, 1);
  fill_uniform(dout, n_out, 23, -1, 1);
  DropoutKey drop = {.seed = 5, .step = 1, .p = 0.1f};
  Pass p[3];  // fp32, bf16 on the fp32 plan, bf16 plan
  size_t arena[3], op[3];
  for (int i = 0; i < 3; i++) {
    CHECK(stepnet_set_precision(u, i ? PREC_BF16 : PREC_FP32) == VDMC_OK, "%s: precision", model);
    if (i == 1) CHECK(stepnet_plan_storage(u, PREC_FP32) == VDMC_OK, "%s: fp32 storage", model);
    CHECK(u->storage == (i == 2 ? PREC_BF16 : PREC_FP32), "%s: storage of pass %d", model, i);
    arena[i] = u->arena.capacity;
    op[i] = u->max_op_scratch;
    p[i] = (Pass){calloc(n_out, sizeof(float)), calloc(P, sizeof(float)),
                  calloc(n_in, sizeof(float)), calloc(B, sizeof(float))};
    CHECK(stepnet_forward(u, params, p[i].out, x, lambda, labels, B, &drop) == VDMC_OK,
          "%s: forward: %s", model, vdmc_error_message());
    CHECK(stepnet_backward(u, params, p[i].grads, dout, p[i].dx, p[i].dlambda) == VDMC_OK,
          "%s: backward", model);
  }
  CHECK(same_pass(&p[2], &p[1], P, n_in, n_out, B),
        "%s: the bf16 plan changes the bf16 step's bits", model);
  CHECK(!same_pass(&p[1], &p[0], P, n_in, n_out, B), "%s: bf16 gives fp32's bits", model);
  // with dropout on, bf16 within the whole-gradient tolerance of fp32: backward makes a
  // recomputed conv2 input again with forward's dropout mask (a wrong mask moves the
  // conv2 weights' gradients by their own size)
  double drop_err = rel_l2(p[2].grads, p[0].grads, P);
  printf("%s: with dropout, relative L2 bf16 vs fp32 of all gradients %.2e\n", model, drop_err);
  CHECK(drop_err <= 8 * U, "%s: with dropout, bf16 gradients %.4f off fp32's", model, drop_err);
  StorageSum sum = {.B = u->max_batch};
  stepnet_visit_operand_only(u, add_saving, &sum);
  // and the saved probabilities halved, less what the kernel scratch grew: P kept as bf16
  // bits is formed there a few heads and a block of rows at a time, and backward widens
  // or multiplies one head's P there with its dP
  // (and GELU's slope kept as bits instead of its input, GN2's normalized input as bits
  // instead of conv1's output)
  size_t probs = all_probs_saving(u), grown = arena_size(op[2]) - arena_size(op[1]);
  // (and the steps' outputs no backward reads, their consumers' 16-bit copies instead)
  size_t slopes = all_slope_saving(u), h2 = all_h2_saving(u), outs = all_output_saving(u);
  size_t expect = sum.saved + probs + slopes + h2 + outs - grown;
  printf("%s: bf16 plan %zu floats, fp32 plan %zu: %d saved operands (%d recomputed; %zu floats), "
         "probabilities %zu, GELU slopes %zu, GN2 inputs %zu, step outputs %zu, scratch +%zu: "
         "%zu floats less (expected %zu), %.3f x\n", model, arena[2], arena[1], sum.count,
         sum.recomputed, sum.saved, probs, slopes, h2, outs, grown, arena[1] - arena[2], expect,
         (double)arena[2] / arena[1]);
  // every res block's conv2 input and every transformer half's adaLN output recomputed
  CHECK(sum.recomputed == u->n_res + u->n_xfmr, "%s: %d recomputed operands, want %d", model,
        sum.recomputed, u->n_res + u->n_xfmr);
  CHECK(arena[0] == arena[1] && arena[1] - arena[2] == expect && sum.count > 0 &&
            op[0] == op[1] && op[2] >= op[1],
        "%s: arena %zu (fp32), %zu (bf16 products, fp32 storage), %zu (bf16 plan): "
        "not smaller by the %zu floats of the halved operands, probabilities, slopes, GN2 "
        "inputs and step outputs",
        model, arena[0], arena[1], arena[2], expect);
  // fp32 after the bf16 plan: fp32's plan and bits again
  CHECK(stepnet_set_precision(u, PREC_FP32) == VDMC_OK, "%s: fp32 again", model);
  Pass again = {calloc(n_out, sizeof(float)), calloc(P, sizeof(float)),
                calloc(n_in, sizeof(float)), calloc(B, sizeof(float))};
  CHECK(stepnet_forward(u, params, again.out, x, lambda, labels, B, &drop) == VDMC_OK &&
            stepnet_backward(u, params, again.grads, dout, again.dx, again.dlambda) == VDMC_OK,
        "%s: fp32 again: %s", model, vdmc_error_message());
  CHECK(u->arena.capacity == arena[0] && same_pass(&again, &p[0], P, n_in, n_out, B),
        "%s: fp32 after the bf16 plan is not fp32's plan and bits", model);
  // fp32 products on bf16 storage would read rounded activations: refused
  CHECK(stepnet_plan_storage(u, PREC_BF16) == VDMC_ERR_INTERNAL && u->storage == PREC_FP32,
        "%s: bf16 storage of fp32 products not refused", model);
  pass_free(&again);
  for (int i = 0; i < 3; i++) pass_free(&p[i]);
  vdmc_free_floats(params), free(x), free(dout);
}

static void check_storage_all(void) {
  for (int m = 0; m < SMALL_MODEL_COUNT; m++)
    for (int updown = 0; updown < 2 - m; updown++)  // the U-ViT has no res-block resampling
      for (int w = 0; w < ATTN_PROBS_COUNT; w++) {
        StepNet u;
        char name[64];
        int st;
        if (m == SMALL_UNET) {
          UNetConfig c = small_unet_config(0.1f);
          c.resblock_updown = updown;
          c.attention_probs = (AttnProbs)w;
          st = unet_create(&u, &c, 3);
        } else {
          st = small_model_create(&u, (SmallModel)m, 0.1f, (AttnProbs)w, 3);
        }
        snprintf(name, sizeof name, "%s%s, P %s", small_model_name((SmallModel)m),
                 m == SMALL_UNET ? (updown ? " (resblock_updown)" : " (conv resampling)") : "",
                 attn_probs_name((AttnProbs)w));
        CHECK(st == VDMC_OK, "%s: %s", name, vdmc_error_message());
        if (st) continue;
        check_storage(name, &u);
        stepnet_free(&u);
      }
}

int main(void) {
  check_storage_all();
  UNetConfig uc = small_unet_config(0);
  StepNet u;
  CHECK(unet_create(&u, &uc, 3) == VDMC_OK, "unet: %s", vdmc_error_message());
  compare("unet", &u, 16, 3, 3);
  stepnet_free(&u);
  UViTConfig vc = small_uvit_config(0);
  CHECK(uvit_create(&u, &vc, 3) == VDMC_OK, "uvit: %s", vdmc_error_message());
  compare("uvit", &u, 16, 3, 3);
  stepnet_free(&u);
  return check_finish("bf16_models");
}
