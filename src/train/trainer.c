// Trainer set-up, resume and checkpointing (the step itself is in train_step.c).
#define _POSIX_C_SOURCE 200809L  // open_memstream, access
#include "train/trainer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/output_file.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "models/model_from_config.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "ops/parallel.h"
#include "optim/lr_schedule_config.h"
#include "train/trainer_power_ema.h"

const char *const train_phase_names[PHASE_COUNT] = {"data", "forward", "backward", "sync_wait",
                                                    "allgather", "optimizer", "checkpoint"};

// The dataset must be the one the model was configured for.
static int check_dataset(Trainer *t) {
  const Config *c = &t->run.cs.values;
  Dataset ds;
  int rc = dataset_open(&ds, c->data.train, MPI_COMM_NULL);
  if (rc)
    return vdmc_fail(rc, "%s (data.train from %s)", vdmc_error_message(), config_where(&t->run.cs, "data.train"));
  if ((int)ds.h != c->model.resolution || (int)ds.w != c->model.resolution)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s: model.resolution %d does not match %s (%zux%zu images)",
                   config_where(&t->run.cs, "model.resolution"), c->model.resolution, c->data.train, ds.h, ds.w);
  else if ((int)ds.c != c->model.in_channels)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s: model.in_channels %d does not match %s (%zu channels)",
                   config_where(&t->run.cs, "model.in_channels"), c->model.in_channels, c->data.train, ds.c);
  else if (c->model.num_classes > 0 && ds.num_classes != c->model.num_classes)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s: model.num_classes %d does not match %s (%d classes; 0 = unconditional)",
                   config_where(&t->run.cs, "model.num_classes"), c->model.num_classes, c->data.train,
                   ds.num_classes);
  dataset_close(&ds);
  return rc;
}

// The run (config, objective, network, weights padded to a multiple of P floats),
// and what training adds to the objective: the learned schedule's training buffers.
static int build_run(Trainer *t, const ConfigSet *cs) {
  int rc = run_from_config(&t->run, cs, t->mb);
  if (!rc) rc = run_alloc_weights(&t->run, grad_sync_padded_total(&t->run.net.params.table, t->comm.size));
  if (!rc) rc = model_set_train_precision(&t->run.net, cs);
  if (rc) return rc;
  t->table = &t->run.net.params.table;
  if (t->run.obj.use_learned && t->run.obj.spec.pred != PRED_EPS)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: the learned schedule trains with diffusion.parameterization eps only "
                     "(VDM's setting; other parameterizations add gradient paths vdmc does not compute)",
                     config_where(&t->run.cs, "diffusion.parameterization"));
  return t->run.obj.use_learned ? train_schedule_init(&t->learned, &t->run.obj.learned, t->mb, t->D) : VDMC_OK;
}

static int build_optimizer(Trainer *t) {
  const Config *c = &t->run.cs.values;
  adam_config_default(&t->adam);
  t->adam.beta1 = c->optim.beta1;
  t->adam.beta2 = c->optim.beta2;
  t->adam.eps = c->optim.eps;
  t->adam.weight_decay = c->optim.weight_decay;
  // EDM's half-life EMA in images, ramped up to 5% of the images seen so a short
  // run's EMA is not dominated by the random initialisation (docs/optim.md).
  t->ema_cfg = (EmaConfig){.mode = EMA_HALFLIFE, .halflife_kimg = c->optim.ema_halflife_images / 1000.0,
                           .rampup_ratio = 0.05};
  int rc = lr_schedule_from_config(&t->lr, &t->run.cs);
  if (!rc) rc = ema_check(&t->ema_cfg);
  return rc;
}

static float *alloc_or_fail(size_t n, int *rc) {
  float *p = *rc ? NULL : vdmc_alloc_floats(n);
  if (!p && !*rc) *rc = VDMC_ERR_MEMORY;
  return p;
}

static void *calloc_or_fail(size_t n, size_t size, int *rc) {
  void *p = *rc ? NULL : calloc(n ? n : 1, size);
  if (!p && !*rc) *rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the batch buffers");
  return p;
}

void trainer_on_grad_ready(void *ctx, size_t offset) {
  Trainer *t = ctx;
  // An MPI error here surfaces again in grad_sync_finish, which returns it.
  (void)grad_sync_ready_from(&t->sync, offset);
}

static int build_buffers(Trainer *t) {
  const Config *c = &t->run.cs.values;
  int rc = VDMC_OK;
  t->grads = alloc_or_fail(t->run.total, &rc);
  if (rc) return rc;
  size_t bucket = (size_t)(c->mpi.bucket_mb * 1048576.0 / sizeof(float));
  GradSyncProgress progress = strcmp(c->mpi.progress, "thread") ? GRAD_SYNC_PROGRESS_CALLS : GRAD_SYNC_PROGRESS_THREAD;
  GradSyncPrecision wire = strcmp(c->mpi.reduce_precision, "bf16") ? GRAD_SYNC_FP32 : GRAD_SYNC_BF16;
  if ((rc = grad_sync_init(&t->sync, t->comm.comm, t->table, t->grads, bucket, c->mpi.zero_stage, progress, wire)))
    return rc;
  t->adam_m = alloc_or_fail(t->sync.shard_len, &rc);
  t->adam_v = alloc_or_fail(t->sync.shard_len, &rc);
  size_t bD = (size_t)t->b * t->D;
  t->x = alloc_or_fail(bD, &rc);
  t->eps = alloc_or_fail(bD, &rc);
  t->z = alloc_or_fail(bD, &rc);
  t->out = alloc_or_fail(bD, &rc);
  t->dout = alloc_or_fail(bD, &rc);
  t->lambda_f = alloc_or_fail((size_t)t->b, &rc);
  t->labels_raw = calloc_or_fail((size_t)t->b, sizeof(int32_t), &rc);
  t->labels = calloc_or_fail((size_t)t->b, sizeof(int), &rc);
  t->t = calloc_or_fail((size_t)t->b, sizeof(double), &rc);
  t->lambda = calloc_or_fail((size_t)t->b, sizeof(double), &rc);
  t->weight = calloc_or_fail((size_t)t->b, sizeof(double), &rc);
  t->loss = calloc_or_fail((size_t)t->b, sizeof(double), &rc);
  t->sqerr = calloc_or_fail((size_t)t->b, sizeof(double), &rc);
  if (rc) return rc;
  t->run.net.grad_ready_ctx = t;  // the hook itself is set for the last micro-batch of a step
  return VDMC_OK;
}

// Which part of the arrays every rank holds whole (params, EMA, power-function EMAs,
// the Adam moments without ZeRO-1) a rank transfers: its even part when all ranks
// write one file together, all of it when each rank loads its own copy.
typedef enum { STATE_WRITE_PART, STATE_LOAD_WHOLE } StateSlice;

// The checkpoint description of the current buffers, sliced by `slice`; under ZeRO-1 a
// rank holds, writes and loads only its shard of the Adam moments.
static void describe_state(Trainer *t, CheckpointState *st, double *counters, StateSlice slice) {
  size_t real = t->table->total, off = 0, cnt = real;
  checkpoint_state_init(st, t->table);
  if (slice == STATE_WRITE_PART) checkpoint_partition(real, t->comm.rank, t->comm.size, &off, &cnt);
  checkpoint_add_array(st, "params", t->run.params + off, off, cnt);
  checkpoint_add_array(st, "ema", t->run.ema + off, off, cnt);
  if (t->sync.zero_stage == 1) {
    size_t b = t->sync.shard_begin < real ? t->sync.shard_begin : real;
    size_t e = t->sync.shard_begin + t->sync.shard_len < real ? t->sync.shard_begin + t->sync.shard_len : real;
    checkpoint_add_array(st, "adam_m", t->adam_m, b, e - b);
    checkpoint_add_array(st, "adam_v", t->adam_v, b, e - b);
  } else {
    checkpoint_add_array(st, "adam_m", t->adam_m + off, off, cnt);
    checkpoint_add_array(st, "adam_v", t->adam_v + off, off, cnt);
  }
  trainer_power_ema_describe(t, st, off, cnt);
  run_add_extras(&t->run, st);  // packs the learned schedule's state
  counters[0] = (double)t->skipped_total;
  counters[1] = (double)t->consecutive_skips;
  checkpoint_add_extra(st, "train_counters", counters, 2);
  st->step = t->step;
  st->images_seen = t->images_seen;
  st->seed = (uint64_t)t->run.cs.values.run.seed;
}

char *trainer_config_text(const ConfigSet *cs) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f) return NULL;
  int rc = config_write_yaml(cs, f);
  fclose(f);
  if (rc) {
    free(buf);
    return NULL;
  }
  return buf;
}

// The current state into a committed step file (path NULL) or, through the output
// policy, into `path` with one more extra.
static int save_state(Trainer *t, const char *path, const char *extra, double *values, size_t n) {
  double t0 = MPI_Wtime();
  if (t->reader) reader_quiesce(t->reader);  // HDF5 is single-threaded: park the prefetcher
  CheckpointState st;
  double counters[2];
  describe_state(t, &st, counters, STATE_WRITE_PART);
  char *text = trainer_config_text(&t->run.cs);
  if (!text) return vdmc_fail(VDMC_ERR_MEMORY, "cannot format the config for the checkpoint");
  st.config_text = text;
  int rc = extra ? checkpoint_add_extra(&st, extra, values, n) : VDMC_OK;
  if (!rc) rc = path ? checkpoint_write_output(path, &st, t->comm.comm)
                     : checkpoint_save(t->run_dir, &st, t->run.cs.values.run.keep_checkpoints, t->comm.comm);
  free(text);
  if (!path) t->phase[PHASE_CHECKPOINT] += MPI_Wtime() - t0;  // other files: their caller's time
  return rc;
}

int trainer_save(Trainer *t) { return save_state(t, NULL, NULL, NULL, 0); }

int trainer_save_as(Trainer *t, const char *path, const char *extra, double *values, size_t n) {
  return save_state(t, path, extra, values, n);
}

static int resume_from(Trainer *t, const char *path) {
  CheckpointState st;
  double counters[2] = {0, 0};
  describe_state(t, &st, counters, STATE_LOAD_WHOLE);
  int rc = checkpoint_load(path, t->comm.comm, &st);
  if (rc) return rc;
  free(st.config_text);  // the run continues with the config given now (checked by the table)
  if ((rc = trainer_power_ema_check_loaded(t, st.loaded_path))) return rc;
  if (st.seed != (uint64_t)t->run.cs.values.run.seed)
    return vdmc_fail(VDMC_ERR_INPUT, "%s was written with run.seed %llu but the config says %lld: "
                     "resuming with another seed would not continue the same run",
                     st.loaded_path, (unsigned long long)st.seed, t->run.cs.values.run.seed);
  t->step = st.step;
  t->images_seen = st.images_seen;
  t->skipped_total = (int64_t)counters[0];
  t->consecutive_skips = (int)counters[1];
  if ((rc = objective_extras_loaded(&t->run.obj))) return rc;
  if (t->comm.rank == 0)
    fprintf(stderr, "vdmc train: resumed from %s at step %lld\n", st.loaded_path, (long long)t->step);
  return VDMC_OK;
}

static int prepare_run_dir(Trainer *t) {
  if (t->comm.rank != 0) return VDMC_OK;
  int mk = fs_mkdir_p(t->run_dir);
  if (mk) return mk;
  char path[4200];
  snprintf(path, sizeof path, "%s/config.yaml", t->run_dir);
  OutputFile out;
  int rc = output_file_begin(&out, path);
  if (rc) return rc;
  FILE *f = fopen(out.tmp_path, "wx");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot create %s: %s", path, out.tmp_path, strerror(errno));
  rc = config_write_yaml(&t->run.cs, f);
  int bad = fflush(f) != 0 || ferror(f);
  int e = errno;
  if (fclose(f) != 0 && !bad) bad = 1, e = errno;
  if (bad && !rc) rc = vdmc_fail(VDMC_ERR_IO, "%s: cannot write %s: %s", path, out.tmp_path, strerror(e));
  return output_file_end(&out, rc);
}

int trainer_create(Trainer *t, const ConfigSet *cs, const VdmcComm *comm, const char *run_dir,
                   ResumeMode resume, const char *resume_path) {
  memset(t, 0, sizeof *t);
  t->run.cs = *cs;
  t->comm = *comm;
  const Config *c = &t->run.cs.values;
  if (snprintf(t->run_dir, sizeof t->run_dir, "%s", run_dir) >= (int)sizeof t->run_dir)
    return vdmc_fail(VDMC_ERR_INPUT, "run directory path too long");
  int rc = VDMC_OK;
  t->B = c->optim.batch_size;
  if (t->B % comm->size != 0)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s: optim.batch_size %d is not divisible by the %d ranks",
                   config_where(&t->run.cs, "optim.batch_size"), t->B, comm->size);
  t->b = t->B / comm->size;
  t->mb = c->optim.micro_batch > 0 && c->optim.micro_batch < t->b ? c->optim.micro_batch : t->b;
  t->first = t->b * comm->rank;
  t->H = t->W = c->model.resolution;
  t->C = c->model.in_channels;
  t->D = (size_t)t->H * t->W * t->C;
  t->num_classes = c->model.num_classes;
  if (c->mpi.threads_per_rank > 0) par_set_threads(c->mpi.threads_per_rank);
  const char *nan_hook = getenv("VDMC_TRAIN_TEST_NAN");
  long long from = -1, until = -1;
  t->test_nan_rank = -1;
  if (nan_hook && sscanf(nan_hook, "%d:%lld:%lld", &t->test_nan_rank, &from, &until) != 3) t->test_nan_rank = -1;
  t->test_nan_from = from;
  t->test_nan_until = until;
  const char *data_hook = getenv("VDMC_TRAIN_TEST_DATA_ERROR");
  long long at = -1;
  t->test_data_error_rank = -1;
  if (data_hook && sscanf(data_hook, "%d:%lld", &t->test_data_error_rank, &at) != 2) t->test_data_error_rank = -1;
  t->test_data_error_step = at;
  if (!rc && comm->rank == 0) rc = check_dataset(t);
  if ((rc = mpi_agree(t->comm.comm, rc))) return rc;
  rc = build_run(t, cs);
  if (!rc) rc = build_optimizer(t);
  if (!rc) rc = build_buffers(t);
  if ((rc = mpi_agree(t->comm.comm, rc))) return rc;

  // Rank 0 decides for all: ranks deciding alone could split into resumed and fresh.
  int have = 0;
  if ((rc = mpi_agree(t->comm.comm, t->comm.rank == 0 ? checkpoint_run_exists(t->run_dir, &have) : VDMC_OK))) return rc;
  MPI_TRY(MPI_Bcast(&have, 1, MPI_INT, 0, t->comm.comm));
  if (resume == RESUME_NONE && have)
    return vdmc_fail(VDMC_ERR_INPUT, "%s already has checkpoints and --resume none was given: "
                     "choose another --run directory or remove it", t->run_dir);
  if (have && (rc = mpi_agree(t->comm.comm, t->comm.rank == 0 ? checkpoint_dir_check_writable(t->run_dir) : VDMC_OK))) return rc;
  stepnet_init_params(&t->run.net, t->run.params, (uint64_t)c->run.seed);
  memcpy(t->run.ema, t->run.params, t->run.total * sizeof(float));
  if ((rc = mpi_agree(t->comm.comm, trainer_power_ema_init(t)))) return rc;
  if (resume == RESUME_FILE) rc = resume_from(t, resume_path);
  else if (resume == RESUME_AUTO && have) rc = resume_from(t, t->run_dir);
  if ((rc = mpi_agree(t->comm.comm, rc))) return rc;
  if ((rc = mpi_agree(t->comm.comm, prepare_run_dir(t)))) return rc;

  ReaderConfig rcfg = {.path = c->data.train, .comm = comm->comm, .global_batch = (size_t)t->B,
                       .seed = (uint64_t)c->run.seed, .flip = c->data.flip, .prefetch = 1};
  rc = reader_open(&t->reader, &rcfg, (uint64_t)t->step);
  return mpi_agree(t->comm.comm, rc);
}

int trainer_crossed_images(const Trainer *t, int64_t every) {
  int64_t before = t->images_seen - t->B;  // the step just taken saw B images
  return before / every < t->images_seen / every;
}

void trainer_free(Trainer *t) {
  reader_close(t->reader);
  grad_sync_free(&t->sync);
  if (t->run.obj.use_learned) train_schedule_free(&t->learned);
  run_free(&t->run);
  vdmc_free_floats(t->grads);
  ema_power_set_free(&t->power_ema);
  vdmc_free_floats(t->adam_m);
  vdmc_free_floats(t->adam_v);
  vdmc_free_floats(t->x);
  vdmc_free_floats(t->eps);
  vdmc_free_floats(t->z);
  vdmc_free_floats(t->out);
  vdmc_free_floats(t->dout);
  vdmc_free_floats(t->lambda_f);
  free(t->labels_raw);
  free(t->labels);
  free(t->t);
  free(t->lambda);
  free(t->weight);
  free(t->loss);
  free(t->sqerr);
  memset(t, 0, sizeof *t);
}
