// `vdmc train-classifier DATASET.h5 --out FEAT.h5 [...]`: trains the small FID /
// Inception Score feature classifier (models/classifier.h) data-parallel over the
// ranks, reproducibly from --seed (data order from the sharded reader, init from
// RNG_INIT), and saves weights + architecture (docs/fid.md).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "eval/features.h"
#include "io/classifier_file.h"
#include "io/reader.h"
#include "train/classifier_train.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "optim/lr_schedule.h"
#include "cli/flag_parse.h"
#include "cli/mpi_command.h"

static void usage(FILE *f) {
  fputs("usage: [mpirun -n P] vdmc train-classifier DATASET.h5 --out FEAT.h5 [--test TEST.h5]\n"
        "           [--epochs E (2)] [--seed S (0)] [--batch B (64)] [--lr LR (0.005)] [--width W (16)]\n",
        f);
}

typedef struct {
  const char *data, *out, *test;
  double epochs, lr;
  long seed, batch, width;
} Args;

static int parse(void *args, int argc, char **argv) {
  Args *a = args;
  *a = (Args){NULL, NULL, NULL, 2, 5e-3, 0, 64, 16};
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i];
    if (o[0] != '-') {
      if (a->data) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s'", o);
      a->data = o;
      continue;
    }
    const char *v = NULL;
    int took = flag_value(argc, argv, &i, "--out --test --epochs --lr --seed --batch --width", &v);
    if (took < 0) return VDMC_ERR_INPUT;
    if (took == 0) return flag_unknown(o, "train-classifier");
    double x = 0;
    int st = VDMC_OK;
    if (!strcmp(o, "--out")) a->out = v;
    else if (!strcmp(o, "--test")) a->test = v;
    else if (!strcmp(o, "--epochs")) st = flag_number(o, v, 0.001, 1e4, &a->epochs);
    else if (!strcmp(o, "--lr")) st = flag_number(o, v, 1e-8, 1, &a->lr);
    else if (!strcmp(o, "--seed") && !(st = flag_number(o, v, 0, 4294967295.0, &x))) a->seed = (long)x;
    else if (!strcmp(o, "--batch") && !(st = flag_number(o, v, 1, 65536, &x))) a->batch = (long)x;
    else if (!strcmp(o, "--width") && !(st = flag_number(o, v, 1, 1024, &x))) a->width = (long)x;
    if (st) return st;
  }
  if (!a->data || !a->out) return vdmc_fail(VDMC_ERR_INPUT, "DATASET.h5 and --out FEAT.h5 are required");
  return VDMC_OK;
}

typedef struct {
  Classifier net;
  float *params;
  ClassifierOpt opt;
  float *x;
  int32_t *labels;
} Training;

static int train(const Args *a, const VdmcComm *c, Reader *r, Training *t) {
  const Dataset *ds = reader_dataset(r);
  int b = (int)reader_local_batch(r), B = (int)a->batch;
  ClassifierConfig cfg = {(int)ds->h, (int)ds->w, (int)ds->c, ds->num_classes, (int)a->width};
  int st = classifier_create(&t->net, &cfg, b > FEATURES_BATCH ? b : FEATURES_BATCH);
  if (st) return st;
  size_t ex = ds->h * ds->w * ds->c;
  t->params = vdmc_alloc_floats(classifier_param_floats(&t->net));
  t->x = malloc(((size_t)b + 1) * ex * sizeof(float));
  t->labels = malloc(((size_t)b + 1) * sizeof(int32_t));
  if (!t->params || !t->x || !t->labels || classifier_opt_init(&t->opt, &t->net, a->lr))
    return vdmc_fail(VDMC_ERR_MEMORY, "train-classifier: out of memory");
  classifier_init_params(&t->net, t->params, (uint64_t)a->seed);
  long steps_per_epoch = (long)((ds->n + (size_t)B - 1) / (size_t)B);
  long steps = (long)ceil(a->epochs * (double)steps_per_epoch);
  LrSchedule lr = {.base_lr = a->lr, .warmup = (double)(steps / 50), .decay = LR_DECAY_COSINE,
                   .decay_end = (double)steps + 1, .min_lr = 0.02 * a->lr};
  if (c->rank == 0)
    printf("train-classifier: %s, %zu examples %zux%zux%zu, %d classes; %zu parameters, batch %d on %d "
           "rank(s), %ld steps\n",
           a->data, ds->n, ds->h, ds->w, ds->c, cfg.K, param_table_numel(&t->net.params.table), B, c->size,
           steps);
  double t0 = MPI_Wtime(), sums[3] = {0, 0, 0};  // loss, correct, examples since the last report
  for (long s = 1; s <= steps && !st; s++) {
    double loss = 0;
    int hits = 0;
    t->opt.lr = lr_schedule_at(&lr, s, B);
    st = reader_next(r, t->x, t->labels);
    if (!st)
      st = classifier_train_step(&t->net, t->params, &t->opt, t->x, t->labels, b, B, c->comm, &loss,
                                 &hits);
    sums[0] += loss;
    sums[1] += hits;
    sums[2] += b;
    if (!st && (s % steps_per_epoch == 0 || s == steps || s % 200 == 0)) {
      st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_DOUBLE, MPI_SUM, c->comm), "train-classifier: metrics");
      if (!st && c->rank == 0)
        printf("step %ld/%ld (epoch %.2f): loss %.4f, train accuracy %.4f, lr %.2g, %.1f s\n", s, steps,
               (double)s / steps_per_epoch, sums[0] * B / sums[2], sums[1] / sums[2], t->opt.lr,
               MPI_Wtime() - t0);
      fflush(stdout);
      sums[0] = sums[1] = sums[2] = 0;
    }
  }
  return st;
}

// --test: the test accuracy and a one-split Inception Score (a sanity figure that works
// for any test set size); the accuracy is saved with the weights.
static int test(const Args *a, const VdmcComm *c, Training *t, double *accuracy) {
  FeatureNet f;
  FeatureSummary s;
  memset(&s, 0, sizeof s);
  int st = features_from_classifier(&f, &t->net, t->params, classifier_params_crc32(&t->net, t->params), "(training)");
  if (!st) st = features_summarize(&f, a->test, 1, 0, c->comm, &s);
  st = mpi_agree(c->comm, st);
  if (!st && c->rank == 0)
    printf("test accuracy %.4f on %s (%lld examples), inception score %.3f (1 split)\n", s.accuracy, a->test,
           (long long)s.stats.n, s.is_mean);
  *accuracy = s.accuracy;
  fid_stats_free(&s.stats);
  features_free(&f);
  return st;
}

static int run(void *args, const VdmcComm *c) {
  const Args *a = args;
  Training t;
  memset(&t, 0, sizeof t);
  Reader *r = NULL;
  ReaderConfig rc = {a->data, c->comm, (size_t)a->batch, (uint64_t)a->seed, 0, 1};
  int st = mpi_command_check_files(c->comm, &a->data, 1, &a->out, 1);
  if (!st) st = reader_open(&r, &rc, 0);
  if (!st) st = train(a, c, r, &t);
  if (r) reader_close(r);
  st = mpi_agree(c->comm, st);
  double accuracy = -1;
  if (!st && a->test) st = test(a, c, &t, &accuracy);
  if (!st) {
    st = mpi_agree(c->comm, c->rank == 0 ? classifier_save(a->out, &t.net, t.params, accuracy) : VDMC_OK);
    if (!st && c->rank == 0) printf("saved %s\n", a->out);
  }
  classifier_opt_free(&t.opt);
  vdmc_free_floats(t.params);
  free(t.x);
  free(t.labels);
  classifier_free(&t.net);
  return st;
}

static const MpiCommand TRAIN_CLASSIFIER = {"train-classifier", usage, 1, parse, run};

int cmd_train_classifier(int argc, char **argv) {
  Args a;
  return mpi_command_run(&TRAIN_CLASSIFIER, &a, argc, argv);
}
