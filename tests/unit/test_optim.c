// Optimizer over flat buffers: Adam/AdamW + clipping against torch.optim
// (fixture from tests/reference/gen_adam.py), sharded slices, clipping,
// learning-rate warmup/cosine (and its mapping from the config) and EMA decay against
// closed forms.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/param_table.h"
#include "core/status.h"
#include "fixture.h"
#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/ema.h"
#include "optim/lr_schedule.h"
#include "optim/lr_schedule_config.h"

#define NREAL 40  // 15 + 7 + 18 real parameters (fixture arrays are unpadded)
#define STEPS 10

typedef struct {
  ParamTable table;
  float *param, *grad, *m, *v, *a, *c;  // padded flat buffers (table.total)
} Problem;

// Copies unpadded `src` (NREAL) into the padded buffer `dst`, or back when to_flat = 0.
static void scatter(const ParamTable *t, float *padded, float *flat, int to_padded) {
  size_t k = 0;
  for (size_t i = 0; i < t->count; i++)
    for (size_t j = 0; j < t->items[i].numel; j++, k++) {
      if (to_padded) padded[t->items[i].offset + j] = flat[k];
      else flat[k] = padded[t->items[i].offset + j];
    }
}

static void problem_init(Problem *p, const Fixture *fx) {
  param_table_init(&p->table);
  size_t sw[2] = {3, 5}, sb[1] = {7}, sw2[2] = {2, 9};
  param_table_add(&p->table, "w", 2, sw, 1, NULL);
  param_table_add(&p->table, "b", 1, sb, 0, NULL);
  param_table_add(&p->table, "w2", 2, sw2, 1, NULL);
  size_t n = p->table.total;
  float **bufs[] = {&p->param, &p->grad, &p->m, &p->v, &p->a, &p->c};
  for (size_t i = 0; i < 6; i++) *bufs[i] = vdmc_alloc_floats(n);
  scatter(&p->table, p->param, (float *)fixture_floats(fx, "init", NREAL), 1);
  scatter(&p->table, p->a, (float *)fixture_floats(fx, "a", NREAL), 1);
  scatter(&p->table, p->c, (float *)fixture_floats(fx, "c", NREAL), 1);
}

static void problem_free(Problem *p) {
  float *bufs[] = {p->param, p->grad, p->m, p->v, p->a, p->c};
  for (size_t i = 0; i < 6; i++) vdmc_free_floats(bufs[i]);
  param_table_free(&p->table);
}

// g = a (p - c) + p^3 on real elements; padding stays 0.
static void problem_grad(Problem *p) {
  for (size_t i = 0; i < p->table.total; i++) {
    float x = p->param[i];
    p->grad[i] = p->a[i] * (x - p->c[i]) + x * x * x;
  }
}

static void compare_run(Problem *p, const Fixture *fx, const char *run) {
  static const char *what[] = {"param", "m", "v"};
  float *bufs[] = {p->param, p->m, p->v};
  for (int i = 0; i < 3; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s.%s", run, what[i]);
    float flat[NREAL];
    scatter(&p->table, bufs[i], flat, 0);
    double err = CHECK_ARRAYS(flat, fixture_floats(fx, name, NREAL), NREAL, 1e-6, name);
    printf("%-18s max rel err vs torch %.2e\n", name, err);
  }
  int pad_zero = 1;
  for (size_t t = 0; t < p->table.count; t++) {
    const ParamInfo *info = &p->table.items[t];
    size_t end = t + 1 < p->table.count ? p->table.items[t + 1].offset : p->table.total;
    for (size_t i = info->offset + info->numel; i < end; i++)
      pad_zero &= p->param[i] == 0 && p->m[i] == 0 && p->v[i] == 0;
  }
  CHECK(pad_zero, "%s: padding stays zero", run);
}

// Plain Adam over the whole buffer, lr from the warmup schedule.
static void test_adam_vs_torch(const Fixture *fx) {
  Problem p;
  problem_init(&p, fx);
  AdamConfig cfg;
  adam_config_default(&cfg);
  LrSchedule lr = {.base_lr = 0.05, .warmup = 4};
  CHECK(lr_schedule_check(&lr) == VDMC_OK, "schedule ok");
  const double *lr_ref = (const double *)fixture_get(fx, "lr")->data;
  for (long step = 1; step <= STEPS; step++) {
    double lr_t = lr_schedule_at(&lr, step, 128);
    CHECK_CLOSE(lr_t, lr_ref[step - 1], 1e-15, 0, "warmup lr = torch run's lr");
    problem_grad(&p);
    int st = adam_step_slice(p.param, p.m, p.v, p.grad, 0, p.table.total, &p.table, &cfg, lr_t,
                             step, 1.0f);
    CHECK(st == VDMC_OK, "adam step %ld", step);
  }
  compare_run(&p, fx, "adam");
  CHECK(adam_step_slice(p.param, p.m, p.v, p.grad, 0, 1, NULL, &cfg, 0.1, 0, 1.0f) ==
            VDMC_ERR_INTERNAL, "step 0 rejected");
  problem_free(&p);
}

// AdamW + global-norm clipping, done as three shards whose boundaries cut
// through tensors, each with its own local m and v (ZeRO layout).
static void test_adamw_clip_sharded_vs_torch(const Fixture *fx) {
  Problem p, full;
  problem_init(&p, fx);
  problem_init(&full, fx);
  AdamConfig cfg = {.beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1};
  const double *lr_ref = (const double *)fixture_get(fx, "lr")->data;
  const double *norm_ref = (const double *)fixture_get(fx, "adamw_clip.norm")->data;
  size_t cut[4] = {0, 10, 37, p.table.total};
  float m_local[3][64], v_local[3][64];
  memset(m_local, 0, sizeof m_local);
  memset(v_local, 0, sizeof v_local);
  for (long step = 1; step <= STEPS; step++) {
    problem_grad(&p);
    problem_grad(&full);
    double total = 0, norm;
    for (int s = 0; s < 3; s++) total += clip_sum_squares(p.grad + cut[s], cut[s + 1] - cut[s]);
    float scale;
    CHECK(clip_scale(total, 1.0, &norm, &scale) == VDMC_OK, "clip ok");
    CHECK_CLOSE(norm, norm_ref[step - 1], 1e-6, 0, "grad norm vs torch clip_grad_norm_");
    for (int s = 0; s < 3; s++) {
      size_t off = cut[s], n = cut[s + 1] - cut[s];
      adam_step_slice(p.param + off, m_local[s], v_local[s], p.grad + off, off, n, &p.table, &cfg,
                      lr_ref[step - 1], step, scale);
    }
    adam_step_slice(full.param, full.m, full.v, full.grad, 0, full.table.total, &full.table, &cfg,
                    lr_ref[step - 1], step, scale);
  }
  for (int s = 0; s < 3; s++) {
    memcpy(p.m + cut[s], m_local[s], (cut[s + 1] - cut[s]) * sizeof(float));
    memcpy(p.v + cut[s], v_local[s], (cut[s + 1] - cut[s]) * sizeof(float));
  }
  compare_run(&p, fx, "adamw_clip");
  size_t bytes = p.table.total * sizeof(float);
  CHECK(!memcmp(p.param, full.param, bytes) && !memcmp(p.m, full.m, bytes) &&
            !memcmp(p.v, full.v, bytes), "three shards == one call, bit for bit");
  problem_free(&p);
  problem_free(&full);
}

static void test_clip(void) {
  float g[7] = {3, 0, 0, 4, 0, 0, 0};
  double norm;
  float scale;
  double total = clip_sum_squares(g, 3) + clip_sum_squares(g + 3, 4);
  CHECK(total == 25.0, "partial sums of squares add up: %g", total);
  CHECK(clip_scale(total, 1.0, &norm, &scale) == VDMC_OK && norm == 5.0, "norm 5");
  CHECK(scale == (float)(1.0 / (5.0 + 1e-6)), "scale = max_norm / (norm + 1e-6): %.9g", scale);
  CHECK(clip_scale(total, 10.0, &norm, &scale) == VDMC_OK && scale == 1.0f, "no clip below max");
  CHECK(clip_scale(total, 0.0, &norm, &scale) == VDMC_OK && scale == 1.0f, "max_norm 0: off");
  CHECK(clip_scale(NAN, 1.0, &norm, &scale) == VDMC_ERR_NUMERIC, "NaN gradient reported");
  CHECK(clip_scale(INFINITY, 1.0, &norm, &scale) == VDMC_ERR_NUMERIC, "Inf gradient reported");
  float r[1001];
  fill_uniform(r, 1001, 7, -2, 2);
  double naive = 0;
  for (int i = 0; i < 1001; i++) naive += (double)r[i] * r[i];
  CHECK_CLOSE(clip_sum_squares(r, 1001), naive, 1e-14, 0, "sum of squares, odd length");
}

static void test_lr_schedule(void) {
  LrSchedule s = {.base_lr = 2e-4, .warmup = 4};
  CHECK(lr_schedule_at(&s, 1, 64) == 2e-4 / 4, "first step gets base/warmup");
  CHECK(lr_schedule_at(&s, 3, 64) == 2e-4 * 3 / 4, "step 3");
  CHECK(lr_schedule_at(&s, 4, 64) == 2e-4 && lr_schedule_at(&s, 1000, 64) == 2e-4, "then constant");
  LrSchedule im = {.base_lr = 1e-3, .warmup = 1000, .in_images = 1};
  CHECK_CLOSE(lr_schedule_at(&im, 2, 128), 1e-3 * 256 / 1000, 1e-15, 0, "warmup in images");
  CHECK(lr_schedule_at(&im, 8, 128) == 1e-3, "1024 images >= 1000: full lr");
  LrSchedule none = {.base_lr = 1e-3};
  CHECK(lr_schedule_at(&none, 1, 1) == 1e-3, "no warmup");
  LrSchedule cs = {.base_lr = 1e-3, .warmup = 10, .decay = LR_DECAY_COSINE, .decay_end = 110,
                   .min_lr = 1e-5};
  CHECK(lr_schedule_check(&cs) == VDMC_OK, "cosine ok");
  CHECK(lr_schedule_at(&cs, 10, 1) == 1e-3, "cosine starts at base");
  CHECK_CLOSE(lr_schedule_at(&cs, 60, 1), 1e-5 + (1e-3 - 1e-5) * 0.5, 1e-14, 0, "cosine midpoint");
  CHECK_CLOSE(lr_schedule_at(&cs, 35, 1), 1e-5 + (1e-3 - 1e-5) * 0.5 * (1 + sqrt(0.5)), 1e-14, 0,
              "cosine quarter");
  CHECK(lr_schedule_at(&cs, 110, 1) == 1e-5 && lr_schedule_at(&cs, 500, 1) == 1e-5, "then min");
  LrSchedule bad = cs;
  bad.decay_end = 5;
  CHECK(lr_schedule_check(&bad) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "decay end"),
        "bad cosine end named");
  bad = s;
  bad.base_lr = 0;
  CHECK(lr_schedule_check(&bad) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "base lr"),
        "bad base lr named");
}

// lr_schedule_from_config: the config's optim section, its one lr_min check (naming
// the key's config location) and the flag of a run that ends inside its warmup.
static void test_lr_from_config(void) {
  ConfigSet cs;
  LrSchedule s;
  CHECK(config_init_defaults(&cs) == VDMC_OK, "defaults");
  CHECK(lr_schedule_from_config(&s, &cs) == VDMC_OK && s.decay == LR_DECAY_NONE && !s.decay_skipped &&
            s.base_lr == cs.values.optim.lr && s.warmup == cs.values.optim.warmup_images && s.in_images,
        "default: constant after warmup");
  CHECK(config_apply_override(&cs, "optim.lr_decay=cosine") == VDMC_OK &&
            config_apply_override(&cs, "optim.lr_min=1e-5") == VDMC_OK,
        "cosine overrides");
  CHECK(lr_schedule_from_config(&s, &cs) == VDMC_OK && s.decay == LR_DECAY_COSINE && !s.decay_skipped &&
            s.min_lr == 1e-5 && s.decay_end == (double)cs.values.optim.steps * cs.values.optim.batch_size,
        "cosine ends at the last step");
  CHECK(config_apply_override(&cs, "optim.steps=4") == VDMC_OK, "short run");
  CHECK(lr_schedule_from_config(&s, &cs) == VDMC_OK && s.decay == LR_DECAY_NONE && s.decay_skipped &&
            lr_schedule_at(&s, 4, cs.values.optim.batch_size) == cs.values.optim.lr * 4 * 64 / 20000,
        "a run inside its warmup: no decay phase, flagged, the warmup as it would be");
  CHECK(config_apply_override(&cs, "optim.lr_min=0.5") == VDMC_OK, "lr_min above lr");
  CHECK(lr_schedule_from_config(&s, &cs) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "--set optim.lr_min") &&
            strstr(vdmc_error_message(), "optim.lr_min 0.5 must be at most optim.lr 0.0002"),
        "lr_min above lr refused, naming where it was set");
}

static void test_ema(void) {
  // Power warm-up: the init keeps prod_{n<N} (1+n)/(10+n) = 1/C(N+9, 9) after N updates.
  EmaConfig pw = {.mode = EMA_POWER, .beta = 0.999};
  CHECK(ema_check(&pw) == VDMC_OK, "power ok");
  CHECK(ema_decay(&pw, 0, 0, 64) == 0.1, "first decay 1/10");
  CHECK(ema_decay(&pw, 100000, 0, 64) == 0.999, "capped at beta");
  float ema = 1, zero = 0;  // EMA of an init of 1 followed by weights 0
  double prod = 1;
  for (long n = 0; n < 240; n++) {
    double d = ema_decay(&pw, n, 0, 64);
    prod *= d;
    ema_update(&ema, &zero, 1, d);
  }
  double closed = exp(lgamma(10) + lgamma(241) - lgamma(250));  // 9! 240! / 249!
  CHECK_CLOSE(prod, closed, 1e-12, 0, "power warm-up: init weight 1/C(249, 9)");
  CHECK_CLOSE(ema, closed, 1e-4, 0, "ema_update follows the decays");
  CHECK(closed < 1e-15 && pow(0.999, 240) > 0.78, "plain 0.999 keeps 79%% of the init, warm-up ~0");
  printf("init weight after 240 updates: plain 0.999 %.4f, power warm-up %.3g\n", pow(0.999, 240),
         closed);

  // EDM half-life with ramp: h = min(halflife_kimg 1e3, ratio * images_before).
  EmaConfig hl = {.mode = EMA_HALFLIFE, .halflife_kimg = 500, .rampup_ratio = 0.05};
  CHECK(ema_check(&hl) == VDMC_OK, "halflife ok");
  CHECK(ema_decay(&hl, 0, 0, 128) == 0.0, "first update copies the weights");
  CHECK_CLOSE(ema_decay(&hl, 10, 1280, 128), 0.25, 1e-15, 0, "ramp: h = 64 images, decay 0.5^2");
  CHECK_CLOSE(ema_decay(&hl, 0, 2e7, 128), pow(0.5, 128 / 5e5), 1e-15, 0, "after the ramp");
  float w[3] = {1, 2, 3}, e[3] = {9, 9, 9};
  ema_update(e, w, 3, ema_decay(&hl, 0, 0, 128));
  CHECK(e[0] == 1 && e[1] == 2 && e[2] == 3, "decay 0: exact copy");
  // Half-life meaning: after h/batch updates the old average weighs exactly 1/2.
  EmaConfig flat = {.mode = EMA_HALFLIFE, .halflife_kimg = 1.28};
  double keep = 1;
  for (int i = 0; i < 10; i++) keep *= ema_decay(&flat, i, 1e9, 128);
  CHECK_CLOSE(keep, 0.5, 1e-13, 0, "10 updates of 128 images = one 1280-image half-life");
  EmaConfig bad = {.mode = EMA_POWER, .beta = 1.0};
  CHECK(ema_check(&bad) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "beta"), "beta 1 refused");
  bad = hl;
  bad.halflife_kimg = -1;
  CHECK(ema_check(&bad) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "halflife_kimg"),
        "negative half-life refused");
}

int main(void) {
  Fixture fx;
  if (fixture_load(&fx, "adam.bin") != 0) {
    CHECK(0, "fixture adam.bin missing (run tests/reference/gen_adam.py)");
    return check_finish("optim");
  }
  test_adam_vs_torch(&fx);
  test_adamw_clip_sharded_vs_torch(&fx);
  fixture_free(&fx);
  test_clip();
  test_lr_schedule();
  test_lr_from_config();
  test_ema();
  return check_finish("optim");
}
