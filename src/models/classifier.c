// The feature classifier: build, forward, backward, loss (classifier.h).
#include "models/classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/status.h"
#include "ops/activation.h"
#include "ops/linear.h"
#include "ops/tensor_ops.h"

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

static int validate(const ClassifierConfig *c) {
  if (c->H < 4 || c->W < 4 || c->H % 4 || c->W % 4)
    return vdmc_fail(VDMC_ERR_INPUT, "classifier: image size %dx%d must be a multiple of 4 (>= 4)",
                     c->H, c->W);
  if (c->C < 1 || c->C > 4) return vdmc_fail(VDMC_ERR_INPUT, "classifier: channels %d outside 1..4", c->C);
  if (c->K < 2 || c->K > CLASSIFIER_MAX_CLASSES)
    return vdmc_fail(VDMC_ERR_INPUT, "classifier: classes %d outside 2..%d", c->K, CLASSIFIER_MAX_CLASSES);
  if (c->width < 1 || c->width > 1024)
    return vdmc_fail(VDMC_ERR_INPUT, "classifier: width %d outside 1..1024", c->width);
  return VDMC_OK;
}

static int build(Classifier *m) {
  const ClassifierConfig *c = &m->cfg;
  int w = c->width, H = c->H, W = c->W;
  m->F = 4 * w;
  conv_unit_setup(&m->in, UNET_RESAMPLE_NONE, H, W, c->C, w, 3, 1);
  norm_act_conv_setup(&m->down1, UNET_RESAMPLE_DOWN, H, W, w, 2 * w, gcd(8, w));
  norm_act_conv_setup(&m->down2, UNET_RESAMPLE_DOWN, H / 2, W / 2, 2 * w, 4 * w, gcd(8, 2 * w));
  gn_unit_setup(&m->head_gn, (H / 4) * (W / 4), 4 * w, gcd(8, 4 * w));
  UNetParams *p = &m->params;
  size_t fc_shape[2] = {(size_t)m->F, (size_t)c->K}, fcb_shape[1] = {(size_t)c->K};
  int st = conv_unit_add_params(&m->in, p, "in.conv", 0);
  if (!st) st = norm_act_conv_add_params(&m->down1, p, "down1", "gn", "conv", 0);
  if (!st) st = norm_act_conv_add_params(&m->down2, p, "down2", "gn", "conv", 0);
  if (!st) st = gn_unit_add_params(&m->head_gn, p, "head.gn");
  if (!st) st = unet_params_add(p, "head.fc", "weight", 2, fc_shape, UNET_INIT_FANIN, (size_t)m->F, &m->fc_w);
  if (!st) st = unet_params_add(p, "head.fc", "bias", 1, fcb_shape, UNET_INIT_FANIN, (size_t)m->F, &m->fc_b);
  return st;
}

static void plan(Classifier *m, Arena *a, int B) {
  const ClassifierConfig *c = &m->cfg;
  size_t w = (size_t)c->width, HW = (size_t)c->H * c->W, b = (size_t)B;
  size_t tmp = 0, op = 0;
  conv_unit_plan(&m->in, a, B, &tmp, &op);
  norm_act_conv_plan(&m->down1, a, B, &tmp, &op);
  norm_act_conv_plan(&m->down2, a, B, &tmp, &op);
  gn_unit_plan(&m->head_gn, a, B, &tmp);
  m->h0 = arena_floats(a, b * HW * w);
  m->h1 = arena_floats(a, b * HW / 4 * 2 * w);
  m->h2 = arena_floats(a, b * HW / 16 * 4 * w);
  m->act = arena_floats(a, b * HW / 16 * 4 * w);
  m->feat = arena_floats(a, b * (size_t)m->F);
  m->logits = arena_floats(a, b * (size_t)c->K);
  m->dh0 = arena_floats(a, b * HW * w);
  m->dh1 = arena_floats(a, b * HW / 4 * 2 * w);
  m->dh2 = arena_floats(a, b * HW / 16 * 4 * w);
  m->dfeat = arena_floats(a, b * (size_t)m->F);
  m->dlogits = arena_floats(a, b * (size_t)c->K);
  unet_grow(&tmp, HW * w);
  m->scratch.t[0] = arena_floats(a, b * tmp);
  m->scratch.t[1] = NULL;
  m->scratch.t[2] = arena_floats(a, b * tmp);
  m->scratch.norm = arena_floats(a, b * tmp);
  m->scratch.ss = NULL;
  m->scratch.op = arena_floats(a, op ? op : 1);
}

int classifier_create(Classifier *m, const ClassifierConfig *cfg, int max_batch) {
  memset(m, 0, sizeof *m);
  int st = validate(cfg);
  if (st) return st;
  if (max_batch < 1) return vdmc_fail(VDMC_ERR_INPUT, "classifier: max_batch must be >= 1");
  m->cfg = *cfg;
  m->max_batch = max_batch;
  param_table_init(&m->params.table);
  if ((st = build(m))) {
    classifier_free(m);
    return st;
  }
  Arena measure;
  arena_init_measure(&measure);
  plan(m, &measure, max_batch);
  if ((st = arena_init_alloc(&m->arena, measure.used))) {
    classifier_free(m);
    return st;
  }
  plan(m, &m->arena, max_batch);
  return VDMC_OK;
}

void classifier_free(Classifier *m) {
  arena_free(&m->arena);
  param_table_free(&m->params.table);
  free(m->params.init);
  memset(m, 0, sizeof *m);
}

size_t classifier_param_floats(const Classifier *m) { return m->params.table.total; }

void classifier_init_params(const Classifier *m, float *params, uint64_t seed) {
  unet_params_init(&m->params, params, seed);
}

int classifier_forward(Classifier *m, const float *params, const float *x, int B) {
  if (B < 1 || B > m->max_batch)
    return vdmc_fail(VDMC_ERR_INPUT, "classifier: batch %d outside [1, %d]", B, m->max_batch);
  m->B = B;
  m->x = x;
  int HW4 = m->head_gn.HW, F = m->F;
  conv_unit_forward(&m->in, m->h0, x, params, B, &m->scratch);
  norm_act_conv_forward(&m->down1, m->h1, m->h0, params, B, &m->scratch);
  norm_act_conv_forward(&m->down2, m->h2, m->h1, params, B, &m->scratch);
  gn_unit_silu_forward(&m->head_gn, m->act, m->h2, params, B);
  // global mean pool: feat[b] = mean over positions of act[b]
  memset(m->feat, 0, (size_t)B * F * sizeof(float));
  for (int b = 0; b < B; b++) {
    colsum_accumulate(m->feat + (size_t)b * F, m->act + (size_t)b * HW4 * F, (size_t)HW4, F);
    for (int c = 0; c < F; c++) m->feat[(size_t)b * F + c] /= (float)HW4;
  }
  linear_forward(m->logits, m->feat, params + m->fc_w, params + m->fc_b, B, F, m->cfg.K);
  return VDMC_OK;
}

void classifier_backward(Classifier *m, const float *params, float *grads, const float *dlogits,
                         float *dx) {
  int B = m->B, HW4 = m->head_gn.HW, F = m->F;
  size_t n2 = (size_t)B * HW4 * F;
  memset(m->dfeat, 0, (size_t)B * F * sizeof(float));
  linear_backward(m->dfeat, grads + m->fc_w, grads + m->fc_b, dlogits, m->feat, params + m->fc_w, B,
                  F, m->cfg.K);
  // mean pool backward: every position gets dfeat / HW4 (into dact = scratch t[0])
  float *dact = m->scratch.t[0], *dgn = m->scratch.t[2];
  for (int b = 0; b < B; b++)
    for (int p = 0; p < HW4; p++)
      for (int c = 0; c < F; c++)
        dact[((size_t)b * HW4 + p) * F + c] = m->dfeat[(size_t)b * F + c] / (float)HW4;
  memset(dgn, 0, n2 * sizeof(float));
  gn_unit_recompute(&m->head_gn, m->scratch.norm, m->h2, params, B);  // SiLU's input
  silu_backward(dgn, dact, m->scratch.norm, n2);
  memset(m->dh2, 0, n2 * sizeof(float));
  gn_unit_backward(&m->head_gn, m->dh2, grads, dgn, m->h2, params, B);
  size_t n1 = (size_t)B * m->down1.conv.Ho * m->down1.conv.Wo * m->down1.conv.Cout;
  memset(m->dh1, 0, n1 * sizeof(float));
  norm_act_conv_backward(&m->down2, m->dh1, grads, m->dh2, m->h1, params, B, &m->scratch);
  size_t n0 = (size_t)B * m->cfg.H * m->cfg.W * m->cfg.width;
  memset(m->dh0, 0, n0 * sizeof(float));
  norm_act_conv_backward(&m->down1, m->dh0, grads, m->dh1, m->h0, params, B, &m->scratch);
  conv_unit_backward(&m->in, dx, grads, m->dh0, mixed_input_f32(m->x), params, B, NULL,
                     m->scratch.op);
}

void classifier_softmax(const float *logits, int B, int K, double *probs) {
  for (int b = 0; b < B; b++) {
    const float *z = logits + (size_t)b * K;
    double *p = probs + (size_t)b * K, mx = z[0], s = 0;
    for (int k = 1; k < K; k++) mx = fmax(mx, z[k]);
    for (int k = 0; k < K; k++) s += (p[k] = exp((double)z[k] - mx));
    for (int k = 0; k < K; k++) p[k] /= s;
  }
}

double classifier_xent(const float *logits, const int32_t *labels, int B, int K, double scale,
                       float *dlogits, int *correct) {
  double loss = 0, p[CLASSIFIER_MAX_CLASSES];
  int hits = 0;
  for (int b = 0; b < B; b++) {
    const float *z = logits + (size_t)b * K;
    classifier_softmax(z, 1, K, p);
    int best = 0;
    for (int k = 1; k < K; k++)
      if (z[k] > z[best]) best = k;
    hits += best == labels[b];
    loss -= log(fmax(p[labels[b]], 1e-300));
    for (int k = 0; dlogits && k < K; k++)
      dlogits[(size_t)b * K + k] = (float)((p[k] - (k == labels[b])) * scale);
  }
  if (correct) *correct = hits;
  return loss * scale;
}

uint32_t classifier_params_crc32(const Classifier *m, const float *params) {
  return (uint32_t)crc32_z(0, (const Bytef *)params, classifier_param_floats(m) * sizeof(float));
}
