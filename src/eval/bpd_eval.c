#include "eval/bpd_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/elbo.h"
#include "eval/bpd.h"
#include "io/dataset.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "sample/ckpt_model.h"
#include "sample/progress.h"

#define READ_CHUNK 256  // examples read and estimated per call

static const char *const kTermNames[4] = {"total", "prior", "reconstruction", "diffusion"};

// The dataset of the split, checked against the model.
static int open_split(Dataset *ds, const BpdEvalArgs *a, const Run *run, MPI_Comm comm) {
  const Config *c = &run->cs.values;
  const char *of = run->file[0] ? run->file : a->path;  // a run being trained has no file yet
  int train = !strcmp(a->split, "train");
  if (!train && strcmp(a->split, "test"))
    return vdmc_fail(VDMC_ERR_INPUT, "--split: '%s' (expected test or train)", a->split);
  const char *path = train ? c->data.train : c->data.test;
  int rc = dataset_open(ds, path, comm);
  if (rc) return vdmc_fail(rc, "data.%s of %s: %s", a->split, of, vdmc_error_message());
  const UNetConfig *u = &run->net.cfg;
  if ((int)ds->h != u->resolution || (int)ds->w != u->resolution || (int)ds->c != u->in_channels)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s (data.%s of %s) has %zux%zux%zu images but the model takes %dx%dx%d", path,
                   a->split, of, ds->h, ds->w, ds->c, u->resolution, u->resolution, u->in_channels);
  else if (u->num_classes > 0 && ds->num_classes > u->num_classes)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s has %d classes but the model of %s knows %d", path, ds->num_classes, of,
                   u->num_classes);
  else if (a->n > (long long)ds->n)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--n %lld: %s has only %zu examples", a->n, path, ds->n);
  if (rc) dataset_close(ds);
  return rc;
}

// Per-example bits/dim of examples [lo, hi) into sums s1, s2 (total, prior, recon, diffusion).
static int estimate_range(const BpdEvalArgs *a, const Run *run, Denoiser den, Dataset *ds, long long lo, long long hi,
                          int rank, double *s1, double *s2) {
  BpdOptions o = {&den, &run->obj.schedule, a->t_samples, a->seed};
  uint8_t *bytes = malloc((size_t)READ_CHUNK * den.D);
  int32_t *lab32 = malloc(READ_CHUNK * sizeof(int32_t));
  int *labels = malloc(READ_CHUNK * sizeof(int));
  ElboTerms *terms = malloc(READ_CHUNK * sizeof(ElboTerms));
  int rc = bytes && lab32 && labels && terms ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "eval: out of memory");
  Progress p;
  progress_start(&p, "eval --bpd (rank 0)", "examples", hi - lo, rank == 0 && !a->quiet);
  for (long long first = lo; first < hi && !rc; first += READ_CHUNK) {
    int b = (int)(hi - first < READ_CHUNK ? hi - first : READ_CHUNK);
    if ((rc = dataset_read_range(ds, (size_t)first, (size_t)b, bytes, lab32))) break;
    for (int i = 0; i < b; i++) labels[i] = a->unconditional ? den.num_classes : lab32[i];
    if ((rc = bpd_batch(&o, bytes, den.num_classes ? labels : NULL, (uint64_t)first, b, terms))) break;
    for (int i = 0; i < b; i++) {
      double v[4] = {0, terms[i].prior, terms[i].recon, terms[i].diffusion};
      v[0] = v[1] + v[2] + v[3];
      for (int j = 0; j < 4; j++) {
        double bits = elbo_bits_per_dim(v[j], den.D);
        s1[j] += bits;
        s2[j] += bits * bits;
      }
    }
    progress_add(&p, b);
  }
  progress_finish(&p);
  free(bytes);
  free(lab32);
  free(labels);
  free(terms);
  return rc;
}

int bpd_eval_check(const BpdEvalArgs *a, const Run *run, MPI_Comm comm) {
  Dataset ds;
  int rc = open_split(&ds, a, run, comm);
  if (!rc) dataset_close(&ds);
  return rc;
}

int bpd_eval_model(const BpdEvalArgs *a, const Run *run, Denoiser den, const VdmcComm *c, BpdResult *res) {
  memset(res, 0, sizeof *res);
  if (a->t_samples < 1) return vdmc_fail(VDMC_ERR_INPUT, "--t-samples: %d, need at least 1", a->t_samples);
  Dataset ds;
  int local = open_split(&ds, a, run, c->comm), rc = mpi_agree(c->comm, local);
  if (rc) {
    if (!local) dataset_close(&ds);  // another rank failed
    return rc;
  }
  long long n = a->n ? a->n : (long long)ds.n;
  long long lo = n * c->rank / c->size, hi = n * (c->rank + 1) / c->size;
  double sums[8] = {0};  // s1[4], s2[4]
  rc = mpi_agree(c->comm, estimate_range(a, run, den, &ds, lo, hi, c->rank, sums, sums + 4));
  if (!rc) rc = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, sums, 8, MPI_DOUBLE, MPI_SUM, c->comm), "eval: MPI_Allreduce of the sums");
  dataset_close(&ds);
  if (rc) return rc;
  res->n = n;
  for (int j = 0; j < 4; j++) {
    double mean = sums[j] / n, var = n > 1 ? fmax(sums[4 + j] - n * mean * mean, 0) / (n - 1) : 0;
    res->mean[j] = mean;
    res->se[j] = sqrt(var / n);
    // finite weights can still overflow (an extreme schedule): never print `nan` as a result
    if (!isfinite(mean) || !isfinite(res->se[j]))
      return vdmc_fail(VDMC_ERR_NUMERIC, "eval --bpd: the %s bits/dim of %s is %g (+- %g), not finite: the "
                       "model's output overflowed on the %s split", kTermNames[j], a->path, mean, res->se[j], a->split);
  }
  return VDMC_OK;
}

int bpd_eval_run(const BpdEvalArgs *a, const VdmcComm *c, BpdResult *res) {
  memset(res, 0, sizeof *res);
  CkptModel m;
  int rc = ckpt_model_load(&m, a->path, a->batch, c->comm);
  if (!rc && a->unconditional && m.run.net.cfg.num_classes == 0)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--unconditional: the model of %s is unconditional already", m.run.file);
  if (!rc) rc = bpd_eval_model(a, &m.run, ckpt_model_denoiser(&m), c, res);
  ckpt_model_free(&m);
  return rc;
}

void bpd_eval_print(FILE *f, const BpdEvalArgs *a, const BpdResult *res) {
  fprintf(f, "bits/dim of %s on the %s split: %lld examples, %d time sample(s) each, seed %llu%s\n", a->path,
          a->split, res->n, a->t_samples, (unsigned long long)a->seed,
          a->unconditional ? ", null class" : "");
  for (int j = 0; j < 4; j++)
    fprintf(f, "  %-15s %.6f +- %.6f\n", kTermNames[j], res->mean[j], res->se[j]);
}
