// `vdmc ema` (ema_reconstruct.h): list and validate the snapshots, solve the weights
// of every wanted std at the newest snapshot's images (float64, same on every rank),
// then stream the snapshots once, each rank summing its part of the flat arrays in
// float64, and write one checkpoint per std.
#define _POSIX_C_SOURCE 200809L  // open_memstream
#include "train/ema_reconstruct.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/finite.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "optim/ema_posthoc.h"
#include "optim/ema_power.h"
#include "run/run.h"
#include "train/ema_snapshot.h"
#include "train/trainer.h"

void ema_reconstruct_out_path(const EmaReconstructRequest *r, int k, char *out, size_t cap) {
  size_t len = strlen(r->out);
  if (r->nstd == 1) {
    snprintf(out, cap, "%s", r->out);
  } else if (len > 3 && !strcmp(r->out + len - 3, ".h5")) {
    snprintf(out, cap, "%.*s-std%.4g.h5", (int)(len - 3), r->out, r->std[k]);
  } else {
    snprintf(out, cap, "%s-std%.4g", r->out, r->std[k]);
  }
}

// Snapshot files read at most: the condition number of equally spaced snapshots grows
// like n^4 (docs/training.md: 1.1e10 at 512), past the solve's limit near 4096.
#define MAX_SNAPSHOTS 1024

typedef struct {
  int count;                               // snapshot files
  int64_t *images, *step;                  // (count)
  char (*path)[4096];                      // (count)
  int nstd[MAX_SNAPSHOTS];                 // profiles per snapshot
  double (*stds)[EMA_POWER_MAX_PROFILES];  // (count)
  EmaProfile *profile;                     // (nprofiles) in file order, then std order
  int nprofiles;
} Snapshots;

static void snapshots_free(Snapshots *s) {
  free(s->images);
  free(s->step);
  free(s->path);
  free(s->stds);
  free(s->profile);
}

// Rank 0 lists RUN/ema; every rank gets the list.
static int list_snapshots(const char *run_dir, MPI_Comm comm, Snapshots *s) {
  int rank, rc = VDMC_OK;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    rc = ema_snapshot_list(run_dir, &s->images, &s->path, &s->count);
    if (!rc && s->count == 0)
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s/%s holds no power-function EMA snapshots (power-ema-IMAGES.h5): train "
                     "with optim.ema_stds set", run_dir, EMA_SNAPSHOT_DIR);
    if (!rc && s->count > MAX_SNAPSHOTS)
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s/%s holds %d snapshots; at most %d are read (raise "
                     "run.ema_snapshot_images)", run_dir, EMA_SNAPSHOT_DIR, s->count, MAX_SNAPSHOTS);
  }
  if ((rc = mpi_agree(comm, rc))) return rc;
  MPI_TRY(MPI_Bcast(&s->count, 1, MPI_INT, 0, comm));
  if (rank != 0) {
    s->images = malloc((size_t)s->count * sizeof *s->images);
    s->path = malloc((size_t)s->count * sizeof *s->path);
  }
  s->step = calloc((size_t)s->count, sizeof *s->step);
  s->stds = calloc((size_t)s->count, sizeof *s->stds);
  s->profile = calloc((size_t)s->count * EMA_POWER_MAX_PROFILES, sizeof *s->profile);
  rc = !s->images || !s->path || !s->step || !s->stds || !s->profile
           ? vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %d snapshot names", s->count) : VDMC_OK;
  if ((rc = mpi_agree(comm, rc))) return rc;
  MPI_TRY(MPI_Bcast(s->images, s->count, MPI_INT64_T, 0, comm));
  MPI_TRY(MPI_Bcast(s->path, s->count * 4096, MPI_CHAR, 0, comm));
  return VDMC_OK;
}

// One snapshot's stds (rank 0 peeks the extra, checksum verified) and header
// (collective load of the extra alone: format, tensor table against the model's,
// scalars), each checked before use.
static int read_header(Snapshots *s, int i, const ParamTable *table, uint64_t seed, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  const char *path = s->path[i];
  double *values = NULL;
  size_t n = 0;
  int rc = VDMC_OK;
  if (rank == 0) {
    char *text = NULL, resolved[4096];
    rc = checkpoint_peek(path, &text, EMA_POWER_STDS_EXTRA, &values, &n, resolved);
    free(text);
    if (rc) rc = vdmc_fail(rc, "post-hoc EMA snapshot: %s", vdmc_error_message());
    if (!rc && n == 0)
      rc = vdmc_fail(VDMC_ERR_INPUT, "post-hoc EMA snapshot %s has no extras/%s: not a snapshot", path,
                     EMA_POWER_STDS_EXTRA);
    char what[4200];
    snprintf(what, sizeof what, "post-hoc EMA snapshot %s: extras/%s", path, EMA_POWER_STDS_EXTRA);
    if (!rc) rc = ema_power_check_stds(values, (int)n, what);
    for (size_t k = 0; !rc && k < n; k++) s->stds[i][k] = values[k];
    free(values);
  }
  if ((rc = mpi_agree(comm, rc))) return rc;
  int count = (int)n;
  MPI_TRY(MPI_Bcast(&count, 1, MPI_INT, 0, comm));
  MPI_TRY(MPI_Bcast(s->stds[i], EMA_POWER_MAX_PROFILES, MPI_DOUBLE, 0, comm));
  s->nstd[i] = count;
  CheckpointState st;
  double check[EMA_POWER_MAX_PROFILES];
  checkpoint_state_init(&st, table);
  checkpoint_add_extra(&st, EMA_POWER_STDS_EXTRA, check, (size_t)count);
  if ((rc = checkpoint_load(path, comm, &st))) return vdmc_fail(rc, "post-hoc EMA snapshot: %s", vdmc_error_message());
  free(st.config_text);
  if (st.images_seen != s->images[i])
    return vdmc_fail(VDMC_ERR_INPUT, "post-hoc EMA snapshot %s: images_seen is %lld but the file name says %lld",
                     path, (long long)st.images_seen, (long long)s->images[i]);
  if (st.images_seen <= 0)
    return vdmc_fail(VDMC_ERR_INPUT, "post-hoc EMA snapshot %s: images_seen %lld must be > 0", path,
                     (long long)st.images_seen);
  if (st.seed != seed)
    return vdmc_fail(VDMC_ERR_INPUT, "post-hoc EMA snapshot %s was written with run.seed %llu but the run's latest "
                     "checkpoint has %llu: it belongs to another run", path, (unsigned long long)st.seed,
                     (unsigned long long)seed);
  for (int k = 0; k < count; k++) {
    if (check[k] != s->stds[i][k])
      return vdmc_fail(VDMC_ERR_IO, "post-hoc EMA snapshot %s changed while being read", path);
    s->profile[s->nprofiles++] = (EmaProfile){(double)st.images_seen, ema_power_gamma(check[k])};
  }
  s->step[i] = st.step;
  return VDMC_OK;
}

// The params slice of the latest checkpoint, for the output file.
static int load_params(const Run *m, float *params, size_t off, size_t cnt, MPI_Comm comm) {
  CheckpointState st;
  checkpoint_state_init(&st, &m->net.params.table);
  checkpoint_add_array(&st, "params", params, off, cnt);
  int rc = checkpoint_load(m->file, comm, &st);
  free(st.config_text);
  return rc;
}

// Pass 2: acc[s] += x[s][j] * profile j over every snapshot (this rank's part).
static int accumulate(const Snapshots *s, const ParamTable *table, double *const *x, int nout, double **acc,
                      size_t off, size_t cnt, MPI_Comm comm) {
  float *buf = vdmc_alloc_floats((cnt ? cnt : 1) * EMA_POWER_MAX_PROFILES);
  int rc = mpi_agree(comm, buf ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "out of memory for a snapshot slice"));
  for (int i = 0, j = 0; !rc && i < s->count; i++) {
    CheckpointState st;
    checkpoint_state_init(&st, table);
    for (int k = 0; k < s->nstd[i]; k++) {
      char name[CHECKPOINT_NAME_LEN];
      ema_snapshot_array_name(k, name);
      checkpoint_add_array(&st, name, buf + (size_t)k * cnt, off, cnt);
    }
    rc = checkpoint_load(s->path[i], comm, &st);  // every array's crc32 verified
    free(st.config_text);
    if (rc) {
      rc = vdmc_fail(rc, "post-hoc EMA snapshot: %s", vdmc_error_message());
      break;
    }
    for (int k = 0; k < s->nstd[i]; k++, j++)
      for (int o = 0; o < nout; o++) ema_posthoc_accumulate(acc[o], buf + (size_t)k * cnt, cnt, x[o][j]);
  }
  vdmc_free_floats(buf);
  return rc;
}

static int write_output(const EmaReconstructRequest *r, int o, Run *m, const Snapshots *s,
                        float *params, float *ema, size_t off, size_t cnt, double *posthoc, MPI_Comm comm) {
  const ParamTable *table = &m->net.params.table;
  CheckpointState st;
  checkpoint_state_init(&st, table);
  checkpoint_add_array(&st, "params", params, off, cnt);
  checkpoint_add_array(&st, "ema", ema, off, cnt);
  int rc = run_add_extras(m, &st);  // the objective's state, as the checkpoint held it
  if (rc) return rc;
  checkpoint_add_extra(&st, EMA_POSTHOC_EXTRA, posthoc, 4);
  st.step = s->step[s->count - 1];
  st.images_seen = s->images[s->count - 1];
  st.seed = (uint64_t)m->cs.values.run.seed;
  char *text = trainer_config_text(&m->cs);
  if (!text) return vdmc_fail(VDMC_ERR_MEMORY, "cannot format the config for the post-hoc EMA checkpoint");
  st.config_text = text;
  char path[4200];
  ema_reconstruct_out_path(r, o, path, sizeof path);
  rc = checkpoint_write_output(path, &st, comm);
  free(text);
  return rc;
}

int ema_reconstruct(const EmaReconstructRequest *r, MPI_Comm comm, FILE *report) {
  int rank, size;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &size));
  Snapshots s;
  memset(&s, 0, sizeof s);
  Run m;
  double *x[EMA_RECONSTRUCT_MAX_STDS] = {0}, *acc[EMA_RECONSTRUCT_MAX_STDS] = {0};
  EmaPosthocFit fit[EMA_RECONSTRUCT_MAX_STDS];
  float *params = NULL, *ema = NULL;
  int rc = list_snapshots(r->run_dir, comm, &s);
  int have_model = 0;
  if (!rc) {
    rc = run_from_checkpoint(&m, r->run_dir, 1, RUN_LOAD_EMA, comm);
    have_model = 1;  // freed whether or not it loaded
  }
  const ParamTable *table = have_model ? &m.net.params.table : NULL;
  for (int i = 0; !rc && i < s.count; i++) rc = read_header(&s, i, table, (uint64_t)m.cs.values.run.seed, comm);
  const double t_out = s.count ? (double)s.images[s.count - 1] : 0;
  for (int o = 0; !rc && o < r->nstd; o++) {
    if (!(x[o] = malloc((size_t)s.nprofiles * sizeof *x[o]))) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
    else rc = ema_posthoc_solve(s.profile, s.nprofiles, (EmaProfile){t_out, ema_power_gamma(r->std[o])}, x[o], &fit[o]);
    if (rc) rc = vdmc_fail(rc, "std %g: %s", r->std[o], vdmc_error_message());
  }
  size_t off = 0, cnt = 0;
  if (!rc) {
    checkpoint_partition(table->total, rank, size, &off, &cnt);
    params = vdmc_alloc_floats(cnt ? cnt : 1);
    ema = vdmc_alloc_floats(cnt ? cnt : 1);
    int mem = !params || !ema;
    for (int o = 0; o < r->nstd; o++) mem |= !(acc[o] = calloc(cnt ? cnt : 1, sizeof(double)));
    rc = mpi_agree(comm, mem ? vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %zu weights", cnt) : VDMC_OK);
  }
  if (!rc) rc = load_params(&m, params, off, cnt, comm);
  if (!rc) rc = accumulate(&s, table, x, r->nstd, acc, off, cnt, comm);
  for (int o = 0; !rc && o < r->nstd; o++) {
    for (size_t i = 0; i < cnt; i++) ema[i] = (float)acc[o][i];
    size_t bad = finite_first_bad_float(ema, cnt);
    rc = mpi_agree(comm, bad == cnt ? VDMC_OK : vdmc_fail(VDMC_ERR_NUMERIC, "std %g: reconstructed weight %zu is not "
                                                       "finite: a snapshot holds non-finite weights", r->std[o], off + bad));
    double posthoc[4] = {r->std[o], t_out, fit[o].residual, (double)s.nprofiles};
    if (!rc) rc = write_output(r, o, &m, &s, params, ema, off, cnt, posthoc, comm);
    if (!rc && rank == 0) {
      char path[4200];
      ema_reconstruct_out_path(r, o, path, sizeof path);
      fprintf(report, "ema: std %.4g (gamma %.3f) at %lld images from %d profiles of %d snapshots: residual %.3e, "
              "condition %.2e -> %s\n", r->std[o], ema_power_gamma(r->std[o]), (long long)t_out, s.nprofiles, s.count,
              fit[o].residual, fit[o].condition, path);
    }
  }
  for (int o = 0; o < r->nstd; o++) free(x[o]), free(acc[o]);
  vdmc_free_floats(params);
  vdmc_free_floats(ema);
  if (have_model) run_free(&m);
  snapshots_free(&s);
  return rc;
}
