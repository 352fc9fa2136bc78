// vdmc sample: draw samples from a trained run's EMA model with the DDPM, EDM or ODE
// sampler; MPI ranks split the samples and write them collectively into a
// dataset-format HDF5 file and/or gather them to rank 0 for a PNG grid. docs/sampling.md.
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/pixels.h"
#include "core/status.h"
#include "io/png_write.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "sample/ckpt_model.h"
#include "cli/flag_parse.h"
#include "sample/generate.h"
#include "cli/mpi_command.h"
#include "sample/progress.h"
#include "sample/sampler.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc sample RUN_DIR|CHECKPOINT --n N [options]   (under mpirun: ranks split the samples)\n"
          "  --n N              number of samples (>= 1)\n"
          "  --sampler NAME     ddpm | edm | ode | dpmpp-2m | dpmpp-3m-sde (default edm)\n"
          "  --steps S          sampler steps (default 256; dpmpp-*: 20 evaluations)\n"
          "  --schedule NAME    sampling schedule: cosine | shifted-cosine | edm-sampling | edm-training |\n"
          "                     fm-ot | linear | adaptive | learned (the run's)   (default: ddpm cosine, edm/ode edm-sampling)\n"
          "  --guidance W       classifier-free guidance weight (default 0; needs model.num_classes > 0)\n"
          "  --class C          class of every sample           (default: sample i gets class i mod K)\n"
          "  --seed K           sampling seed                   (default 0)\n"
          "  --batch B          samples per forward batch per rank (default 16)\n"
          "  --out FILE.png     grid of all samples\n"
          "  --h5 FILE.h5       /images uint8 [N,H,W,C] and /labels int32 [N] (dataset format)\n"
          "at least one of --out and --h5 is needed. The model is the checkpoint's EMA weights.\n");
}

typedef struct {
  const char *path, *out, *h5;
  SampleRequest r;
} SampleArgs;

static int parse_args(void *args, int argc, char **argv) {
  SampleArgs *a = args;
  memset(a, 0, sizeof *a);
  sample_request_defaults(&a->r);
  SampleRequest *r = &a->r;
  int rc = VDMC_OK;
  for (int i = 1; i < argc && !rc; i++) {
    const char *f = argv[i], *v = NULL;
    if (strncmp(f, "--", 2)) {
      if (a->path) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (one RUN_DIR|CHECKPOINT)", f);
      a->path = f;
      continue;
    }
    int took = flag_value(argc, argv, &i, "--n --steps --class --seed --batch --guidance --sampler --schedule --out --h5",
                          &v);
    if (took < 0) return VDMC_ERR_INPUT;
    if (took == 0) return flag_unknown(f, "sample");
    if (!strcmp(f, "--n")) rc = flag_int(f, v, 1, INT_MAX, &r->n);
    else if (!strcmp(f, "--steps")) rc = flag_int(f, v, 1, 1000000, &r->steps);
    else if (!strcmp(f, "--class")) rc = flag_int(f, v, 0, INT_MAX, &r->klass);
    else if (!strcmp(f, "--seed")) rc = flag_int(f, v, 0, LLONG_MAX, &r->seed);
    else if (!strcmp(f, "--batch")) rc = flag_int(f, v, 1, 1 << 20, &r->batch);
    else if (!strcmp(f, "--guidance")) rc = flag_double(f, v, 0, 1e6, &r->guidance);
    else if (!strcmp(f, "--sampler")) r->sampler = v;
    else if (!strcmp(f, "--schedule")) r->schedule = v;
    else if (!strcmp(f, "--out")) a->out = v;
    else if (!strcmp(f, "--h5")) a->h5 = v;
    else return flag_unknown(f, "sample");
  }
  if (rc) return rc;
  if (!a->path) return vdmc_fail(VDMC_ERR_INPUT, "missing RUN_DIR or CHECKPOINT (see --help)");
  if (!r->n) return vdmc_fail(VDMC_ERR_INPUT, "--n N is required");
  if (!a->out && !a->h5) return vdmc_fail(VDMC_ERR_INPUT, "give --out FILE.png and/or --h5 FILE.h5");
  SamplerKind k;
  return sampler_kind_parse(r->sampler, &k);
}

// Rank 0: the grid PNG of all n samples.
static int write_grid(const SampleArgs *a, const CkptModel *m, const uint8_t *bytes) {
  const UNetConfig *u = &m->run.net.cfg;
  int H = u->resolution, W = u->resolution, C = u->in_channels, N = (int)a->r.n;
  size_t D = (size_t)H * W * C;
  int cols = (int)ceil(sqrt((double)N)), gw, gh, rc = VDMC_OK;
  image_grid(NULL, &gw, &gh, NULL, N, H, W, C, cols);
  float *f = malloc((size_t)N * D * sizeof(float));
  uint8_t *grid = malloc((size_t)gw * gh * C);
  if (!f || !grid) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the %dx%d grid", gw, gh);
  for (size_t k = 0; !rc && k < (size_t)N * D; k++) f[k] = pixel_to_unit(bytes[k]);
  if (!rc) {
    image_grid(grid, &gw, &gh, f, N, H, W, C, cols);
    rc = png_write(a->out, grid, gw, gh, C);
  }
  free(f);
  free(grid);
  return rc;
}

static int run(void *args, const VdmcComm *c) {
  SampleArgs *a = args;
  SampleRequest *r = &a->r;
  long long lo, hi;
  sample_rank_range(r->n, c->rank, c->size, &lo, &hi);
  CkptModel m;
  int rc = ckpt_model_load(&m, a->path, sample_model_batch(r, c->size), c->comm);
  if (rc) {
    ckpt_model_free(&m);
    return rc;
  }
  size_t D = (size_t)m.run.net.cfg.resolution * m.run.net.cfg.resolution * m.run.net.cfg.in_channels;
  rc = sample_request_resolve(r, &m.run);
  const char *outputs[2] = {a->out, a->h5};
  if (!rc) rc = mpi_command_check_files(c->comm, NULL, 0, outputs, 2);  // the checkpoint is noted by its load
  if (!rc && a->out && (double)r->n * D > INT_MAX)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--out with --n %lld: %lld x %zu bytes is more than one gather to rank 0 can "
                   "move; use --h5 alone (written collectively) or sample in parts", r->n, r->n, D);
  uint8_t *bytes = NULL;
  int32_t *labels = NULL;
  int *counts = NULL, *displs = NULL;
  if (!rc) {
    size_t rows = (size_t)(c->rank == 0 && a->out ? r->n : hi - lo + 1);  // rank 0 gathers for the grid
    bytes = malloc(rows * D);
    labels = malloc(rows * sizeof(int32_t));
    counts = malloc(2 * (size_t)c->size * sizeof(int));
    if (!bytes || !labels || !counts) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %lld samples", r->n);
  }
  double t0 = progress_now();
  SampleRows rows = {bytes, labels, lo, D};
  if (!rc)
    rc = sample_generate_range(r, &m.run, ckpt_model_denoiser(&m), c->size, lo, hi,
                               c->rank == 0 ? "sample (rank 0)" : NULL, sample_rows_sink, &rows);
  rc = mpi_agree(c->comm, rc);
  double seconds = progress_now() - t0;
  if (!rc && a->h5) rc = sample_write_h5(a->h5, r, &m.run, bytes, labels, lo, hi, c->comm);
  if (!rc && a->out) {  // gather to rank 0 in rank order (= sample order), in place
    displs = counts + c->size;
    for (int q = 0; q < c->size; q++) {
      long long qlo, qhi;
      sample_rank_range(r->n, q, c->size, &qlo, &qhi);
      counts[q] = (int)((qhi - qlo) * (long long)D);
      displs[q] = (int)(qlo * (long long)D);
    }
    rc = MPI_STATUS(MPI_Gatherv(c->rank == 0 ? MPI_IN_PLACE : bytes, (int)((hi - lo) * (long long)D), MPI_UINT8_T,
                                bytes, counts, displs, MPI_UINT8_T, 0, c->comm), "sample: MPI_Gatherv of the grid");
    if (!rc && c->rank == 0) rc = write_grid(a, &m, bytes);
    rc = mpi_agree(c->comm, rc);
  }
  if (!rc && c->rank == 0)
    printf("vdmc sample: %lld samples from step %lld of %s (sampler %s, schedule %s, %lld steps, guidance %g, "
           "seed %lld) in %.2f s, %.3f img/s on %d rank(s)%s%s%s%s\n",
           r->n, (long long)m.run.step, m.run.file, r->sampler, r->schedule ? r->schedule : "default", r->steps, r->guidance,
           r->seed, seconds, r->n / seconds,
           c->size, a->out ? " -> " : "", a->out ? a->out : "", a->h5 ? " -> " : "", a->h5 ? a->h5 : "");
  free(bytes);
  free(labels);
  free(counts);
  ckpt_model_free(&m);
  return rc;
}

static const MpiCommand SAMPLE = {"sample", usage, 0, parse_args, run};

int cmd_sample(int argc, char **argv) {
  SampleArgs a;
  return mpi_command_run(&SAMPLE, &a, argc, argv);
}
