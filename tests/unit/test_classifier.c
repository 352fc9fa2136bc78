// The FID feature classifier: finite differences of every parameter and the input,
// the cross-entropy gradient, a short training run on a tiny synthetic dataset that
// must reach high held-out accuracy, and the weights file round trip.
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/status.h"
#include "gradcheck.h"
#include "io/dataset_write.h"
#include "io/classifier_file.h"
#include "models/classifier.h"
#include "train/classifier_train.h"

typedef struct {
  Classifier *m;
  float *params, *x;
  const int32_t *labels;
  int B;
} FdCtx;

static double fd_loss(void *p) {
  FdCtx *c = p;
  classifier_forward(c->m, c->params, c->x, c->B);
  return classifier_xent(c->m->logits, c->labels, c->B, c->m->cfg.K, 1.0, NULL, NULL);
}

static void check_finite_differences(void) {
  ClassifierConfig cfg = {8, 8, 2, 3, 4};
  Classifier m;
  int B = 3;
  CHECK(classifier_create(&m, &cfg, B) == VDMC_OK, "create: %s", vdmc_error_message());
  size_t P = classifier_param_floats(&m), n = (size_t)B * 8 * 8 * 2;
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P), *noise = vdmc_alloc_floats(P);
  classifier_init_params(&m, params, 5);
  fill_uniform(noise, P, 11, -0.1f, 0.1f);  // GroupNorm (1, 0) -> generic values
  for (size_t i = 0; i < P; i++) params[i] += noise[i];
  float x[3 * 8 * 8 * 2], dx[3 * 8 * 8 * 2], dlogits[3 * 3];
  int32_t labels[3] = {2, 0, 1};
  fill_uniform(x, n, 3, -1, 1);
  memset(dx, 0, sizeof dx);
  FdCtx c = {&m, params, x, labels, B};
  fd_loss(&c);
  classifier_xent(m.logits, labels, B, 3, 1.0, dlogits, NULL);
  classifier_backward(&m, params, grads, dlogits, dx);
  GradcheckTarget tg[32];
  int nt = 0;
  for (size_t i = 0; i < m.params.table.count && nt < 31; i++) {
    const ParamInfo *pi = &m.params.table.items[i];
    tg[nt++] = (GradcheckTarget){pi->name, params + pi->offset, grads + pi->offset, pi->numel};
  }
  tg[nt++] = (GradcheckTarget){"x", x, dx, n};
  double worst = gradcheck_run(fd_loss, &c, tg, nt, 1e-2, 3e-2, 2e-3, 8);
  printf("finite differences over %d tensors + x: worst rel err %.3g\n", nt - 1, worst);
  // backward accumulates: a second backward doubles every gradient
  float *g2 = vdmc_alloc_floats(P);
  memcpy(g2, grads, P * sizeof(float));
  fd_loss(&c);
  classifier_backward(&m, params, g2, dlogits, NULL);
  size_t bad = 0;
  for (size_t i = 0; i < P; i++)
    if (fabsf(g2[i] - 2 * grads[i]) > 1e-5f * (1 + fabsf(grads[i]))) bad++;
  CHECK(bad == 0, "backward accumulates (%zu mismatches)", bad);
  vdmc_free_floats(g2);
  vdmc_free_floats(params);
  vdmc_free_floats(grads);
  vdmc_free_floats(noise);
  classifier_free(&m);
}

// xent: loss = -log softmax[label]; gradient softmax - onehot (checked against a
// hand-computed two-class case).
static void check_xent(void) {
  float logits[2] = {1.0f, -1.0f}, d[2];
  int32_t label = 1;
  int correct = -1;
  double l = classifier_xent(logits, &label, 1, 2, 0.5, d, &correct);
  double p1 = 1.0 / (1.0 + exp(2.0));
  CHECK_CLOSE(l, -0.5 * log(p1), 1e-12, 0, "xent loss");
  CHECK_CLOSE(d[1], 0.5 * (p1 - 1), 1e-6, 0, "xent gradient of the label");
  CHECK_CLOSE(d[0], 0.5 * (1 - p1), 1e-6, 0, "xent gradient of the other class");
  CHECK(correct == 0, "argmax miss counted");
}

// Class k of 4: a bright horizontal band in rows [kS/4, (k+1)S/4) of an S x S image,
// plus noise; values in [-1.4, 1.4] (saved datasets clamp to [-1, 1]).
static void synthetic_sized(float *x, int32_t *y, int n, unsigned seed, int S) {
  fill_uniform(x, (size_t)n * S * S, seed, -0.6f, 0.6f);
  for (int i = 0; i < n; i++) {
    y[i] = (int32_t)((i * 7 + seed) % 4);
    for (int r = y[i] * S / 4; r < (y[i] + 1) * S / 4; r++)
      for (int c = 0; c < S; c++) x[(size_t)i * S * S + r * S + c] += 0.8f;
  }
}

static void synthetic(float *x, int32_t *y, int n, unsigned seed) { synthetic_sized(x, y, n, seed, 8); }

// `test_classifier synth PATH N SIZE SEED`: writes the synthetic task as a vdmc dataset
// (for tests/cli/fid_cli.sh).
static int write_synthetic(const char *path, int n, int S, unsigned seed) {
  float *x = malloc((size_t)n * S * S * sizeof *x);
  int32_t *y = malloc((size_t)n * sizeof *y);
  uint8_t *px = malloc((size_t)n * S * S);
  synthetic_sized(x, y, n, seed, S);
  for (size_t i = 0; i < (size_t)n * S * S; i++)
    px[i] = (uint8_t)lrintf(127.5f * (fminf(fmaxf(x[i], -1.0f), 1.0f) + 1.0f));
  DatasetSpec spec = {"bands", "tests/unit/test_classifier.c", (size_t)n, (size_t)S, (size_t)S, 1, 4};
  DatasetWriter w;
  int st = dataset_writer_create(&w, path, &spec);
  if (!st) st = dataset_writer_append(&w, px, y, (size_t)n);
  if (!st) st = dataset_writer_commit(&w);
  else dataset_writer_abort(&w);
  if (st) fprintf(stderr, "synth: %s\n", vdmc_error_message());
  free(x);
  free(y);
  free(px);
  return st ? 1 : 0;
}

static void check_training(void) {
  ClassifierConfig cfg = {8, 8, 1, 4, 4};
  Classifier m;
  int B = 16, steps = 120;
  CHECK(classifier_create(&m, &cfg, 64) == VDMC_OK, "create");
  float *params = vdmc_alloc_floats(classifier_param_floats(&m));
  classifier_init_params(&m, params, 1);
  ClassifierOpt o;
  CHECK(classifier_opt_init(&o, &m, 1e-2) == VDMC_OK, "opt init");
  float x[64 * 64];
  int32_t y[64];
  double first = 0, loss = 0;
  for (int s = 0; s < steps; s++) {
    synthetic(x, y, B, 100 + (unsigned)s);
    CHECK(classifier_train_step(&m, params, &o, x, y, B, B, MPI_COMM_NULL, &loss, NULL) == VDMC_OK, "step");
    if (s == 0) first = loss;
  }
  synthetic(x, y, 64, 7);  // held out
  classifier_forward(&m, params, x, 64);
  int correct = 0;
  classifier_xent(m.logits, y, 64, 4, 1.0 / 64, NULL, &correct);
  printf("tiny training: loss %.3f -> %.3f after %d steps, held-out accuracy %d/64\n", first, loss,
         steps, correct);
  CHECK(correct >= 61, "held-out accuracy %d/64 >= 95%%", correct);
  CHECK(loss < 0.3 * first, "loss fell: %.3f -> %.3f", first, loss);
  // the same seed gives the same parameters (reproducible training)
  float *again = vdmc_alloc_floats(classifier_param_floats(&m));
  classifier_init_params(&m, again, 1);
  ClassifierOpt o2;
  classifier_opt_init(&o2, &m, 1e-2);
  for (int s = 0; s < 3; s++) {
    synthetic(x, y, B, 100 + (unsigned)s);
    classifier_train_step(&m, again, &o2, x, y, B, B, MPI_COMM_NULL, NULL, NULL);
  }
  float *again2 = vdmc_alloc_floats(classifier_param_floats(&m));
  classifier_init_params(&m, again2, 1);
  classifier_opt_free(&o2);
  classifier_opt_init(&o2, &m, 1e-2);
  for (int s = 0; s < 3; s++) {
    synthetic(x, y, B, 100 + (unsigned)s);
    classifier_train_step(&m, again2, &o2, x, y, B, B, MPI_COMM_NULL, NULL, NULL);
  }
  CHECK(!memcmp(again, again2, classifier_param_floats(&m) * sizeof(float)), "training is deterministic");
  // weights file round trip
  char path[256];
  snprintf(path, sizeof path, "/tmp/vdmc-test-classifier-%d.h5", (int)getpid());
  CHECK(classifier_save(path, &m, params, 0.97) == VDMC_OK, "save: %s", vdmc_error_message());
  Classifier m2;
  float *p2 = NULL;
  uint32_t crc = 0;
  CHECK(classifier_load(path, &m2, 8, &p2, &crc) == VDMC_OK, "load: %s", vdmc_error_message());
  if (p2) {
    CHECK(m2.cfg.H == 8 && m2.cfg.C == 1 && m2.cfg.K == 4 && m2.cfg.width == 4, "config round trip");
    CHECK(!memcmp(p2, params, classifier_param_floats(&m) * sizeof(float)), "params round trip");
    CHECK(crc == classifier_params_crc32(&m, params), "crc");
    vdmc_free_floats(p2);
    classifier_free(&m2);
  }
  remove(path);
  CHECK(classifier_load(path, &m2, 8, &p2, &crc) != VDMC_OK && strstr(vdmc_error_message(), path),
        "missing weights file: %s", vdmc_error_message());
  ClassifierConfig bad = {30, 30, 1, 10, 8};
  CHECK(classifier_create(&m2, &bad, 4) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "30x30"),
        "bad size: %s", vdmc_error_message());
  vdmc_free_floats(again);
  vdmc_free_floats(again2);
  vdmc_free_floats(params);
  classifier_opt_free(&o2);
  classifier_opt_free(&o);
  classifier_free(&m);
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "synth"))
    return write_synthetic(argv[2], atoi(argv[3]), atoi(argv[4]), (unsigned)atoi(argv[5]));
  MPI_Init(&argc, &argv);
  check_xent();
  check_finite_differences();
  check_training();
  int rc = check_finish("classifier");
  MPI_Finalize();
  return rc;
}
