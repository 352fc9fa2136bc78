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
#include "mpi/comm.h"
#include "sample/ckpt_model.h"
#include "sample/flag_parse.h"
#include "sample/mpi_command.h"
#include "sample/progress.h"
#include "sample/sampler.h"
#include "sample/samples_h5.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc sample RUN_DIR|CHECKPOINT --n N [options]   (under mpirun: ranks split the samples)\n"
          "  --n N              number of samples (>= 1)\n"
          "  --sampler NAME     ddpm | edm | ode               (default edm)\n"
          "  --steps S          sampler steps                   (default 256)\n"
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
  const char *path, *out, *h5, *sampler, *schedule;
  long long n, steps, klass, seed, batch;
  double guidance;
} SampleArgs;

static int parse_args(SampleArgs *a, int argc, char **argv) {
  memset(a, 0, sizeof *a);
  a->sampler = "edm";
  a->steps = 256;
  a->klass = -1;
  a->batch = 16;
  int rc = VDMC_OK;
  for (int i = 1; i < argc && !rc; i++) {
    const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strncmp(f, "--", 2)) {
      if (a->path) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (one RUN_DIR|CHECKPOINT)", f);
      a->path = f;
      continue;
    }
    if (!v) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", f);
    i++;
    if (!strcmp(f, "--n")) rc = flag_int(f, v, 1, INT_MAX, &a->n);
    else if (!strcmp(f, "--steps")) rc = flag_int(f, v, 1, 1000000, &a->steps);
    else if (!strcmp(f, "--class")) rc = flag_int(f, v, 0, INT_MAX, &a->klass);
    else if (!strcmp(f, "--seed")) rc = flag_int(f, v, 0, LLONG_MAX, &a->seed);
    else if (!strcmp(f, "--batch")) rc = flag_int(f, v, 1, 1 << 20, &a->batch);
    else if (!strcmp(f, "--guidance")) rc = flag_double(f, v, 0, 1e6, &a->guidance);
    else if (!strcmp(f, "--sampler")) a->sampler = v;
    else if (!strcmp(f, "--schedule")) a->schedule = v;
    else if (!strcmp(f, "--out")) a->out = v;
    else if (!strcmp(f, "--h5")) a->h5 = v;
    else return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s' (see vdmc sample --help)", f);
  }
  if (rc) return rc;
  if (!a->path) return vdmc_fail(VDMC_ERR_INPUT, "missing RUN_DIR or CHECKPOINT (see --help)");
  if (!a->n) return vdmc_fail(VDMC_ERR_INPUT, "--n N is required");
  if (!a->out && !a->h5) return vdmc_fail(VDMC_ERR_INPUT, "give --out FILE.png and/or --h5 FILE.h5");
  SamplerKind k;
  return sampler_kind_parse(a->sampler, &k);
}

static void on_step(void *ctx, int step, int steps) {
  (void)step;
  (void)steps;
  progress_add(ctx, 1);
}

// Samples [lo, hi) of this rank as bytes (count, H, W, C) and their labels.
static int sample_range(const SampleArgs *a, CkptModel *m, const VdmcComm *c, long long lo, long long hi,
                        uint8_t *bytes, int32_t *labels) {
  Denoiser den = ckpt_model_denoiser(m);
  SamplerOptions o;
  SamplerKind kind;
  sampler_kind_parse(a->sampler, &kind);
  const Config *cfg = &m->cs.values;
  int rc = sampler_defaults(&o, kind, cfg->diffusion.lambda_min, cfg->diffusion.lambda_max);
  if (!rc && a->schedule)
    rc = sampler_set_schedule(&o, a->schedule, &m->schedule, cfg->diffusion.lambda_min, cfg->diffusion.lambda_max,
                              log(cfg->diffusion.shift_base / cfg->model.resolution));
  if (rc) return rc;
  o.steps = (int)a->steps;
  o.seed = (uint64_t)a->seed;
  o.guidance = a->guidance;
  int B = (int)a->batch, K = den.num_classes;
  long long nb = ((hi - lo) + B - 1) / B;
  Progress p;
  progress_start(&p, "sample (rank 0)", "steps", nb * o.steps, c->rank == 0);
  o.on_step = on_step;
  o.on_step_ctx = &p;
  float *x = malloc((size_t)B * den.D * sizeof(float));
  int *lab = malloc((size_t)B * sizeof(int));
  if (!x || !lab) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for a batch of %d samples", B);
  for (long long first = lo; first < hi && !rc; first += B) {
    int b = (int)(hi - first < B ? hi - first : B);
    for (int i = 0; i < b; i++) {
      lab[i] = K == 0 ? 0 : a->klass >= 0 ? (int)a->klass : (int)((first + i) % K);
      labels[first - lo + i] = lab[i];
    }
    rc = sampler_run(&o, &den, x, K ? lab : NULL, (uint64_t)first, b);
    for (size_t k = 0; !rc && k < (size_t)b * den.D; k++) {
      if (!isfinite(x[k])) {
        rc = vdmc_fail(VDMC_ERR_NUMERIC, "sample %lld is not finite: the model's output overflowed (%s, step %lld)",
                       first + (long long)(k / den.D), m->file, (long long)m->step);
        break;
      }
      bytes[(size_t)(first - lo) * den.D + k] = unit_to_pixel(x[k]);
    }
  }
  progress_finish(&p);
  free(x);
  free(lab);
  return rc;
}

// Rank 0: the grid PNG of all n samples.
static int write_grid(const SampleArgs *a, const CkptModel *m, const uint8_t *bytes) {
  const UNetConfig *u = &m->unet.cfg;
  int H = u->resolution, W = u->resolution, C = u->in_channels, N = (int)a->n;
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

// Collective: this rank's rows of the HDF5 file.
static int write_h5(const SampleArgs *a, const CkptModel *m, const uint8_t *bytes, const int32_t *labels,
                    long long lo, long long hi, MPI_Comm comm) {
  const UNetConfig *u = &m->unet.cfg;
  char source[4400];
  snprintf(source, sizeof source,
           "vdmc sample %s step %lld: sampler %s, schedule %s, %lld steps, guidance %g, seed %lld", m->file,
           (long long)m->step, a->sampler, a->schedule ? a->schedule : "default", a->steps, a->guidance, a->seed);
  DatasetSpec spec = {"samples", source, (size_t)a->n, (size_t)u->resolution, (size_t)u->resolution,
                      (size_t)u->in_channels, u->num_classes > 0 ? u->num_classes : 1};
  return samples_h5_write(a->h5, &spec, bytes, labels, (size_t)lo, (size_t)(hi - lo), comm);
}

static int run(const SampleArgs *a, const VdmcComm *c) {
  long long lo = a->n * c->rank / c->size, hi = a->n * (c->rank + 1) / c->size;
  long long per_rank = (a->n + c->size - 1) / c->size;
  int B = (int)(a->batch < per_rank ? a->batch : per_rank);
  CkptModel m;
  int rc = ckpt_model_load(&m, a->path, B * (a->guidance != 0 ? 2 : 1), c->comm);
  if (rc) {
    ckpt_model_free(&m);
    return rc;
  }
  int K = m.unet.cfg.num_classes;
  size_t D = (size_t)m.unet.cfg.resolution * m.unet.cfg.resolution * m.unet.cfg.in_channels;
  if (a->guidance != 0 && K == 0)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--guidance %g: the model of %s is unconditional (model.num_classes = 0); "
                   "classifier-free guidance needs a class-conditional model", a->guidance, m.file);
  else if (a->klass >= 0 && a->klass >= K)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--class %lld: outside [0, %d) (model.num_classes = %d in %s)", a->klass, K, K,
                   m.file);
  else if (a->out && (double)a->n * D > INT_MAX)
    rc = vdmc_fail(VDMC_ERR_INPUT, "--out with --n %lld: %lld x %zu bytes is more than one gather to rank 0 can "
                   "move; use --h5 alone (written collectively) or sample in parts", a->n, a->n, D);
  SampleArgs run_args = *a;
  run_args.batch = B;
  uint8_t *bytes = NULL;
  int32_t *labels = NULL;
  int *counts = NULL, *displs = NULL;
  if (!rc) {
    size_t rows = (size_t)(c->rank == 0 && a->out ? a->n : hi - lo + 1);  // rank 0 gathers for the grid
    bytes = malloc(rows * D);
    labels = malloc(rows * sizeof(int32_t));
    counts = malloc(2 * (size_t)c->size * sizeof(int));
    if (!bytes || !labels || !counts) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %lld samples", a->n);
  }
  double t0 = progress_now();
  if (!rc) rc = sample_range(&run_args, &m, c, lo, hi, bytes, labels);
  rc = mpi_command_agree(c->comm, rc);
  double seconds = progress_now() - t0;
  if (!rc && a->h5) rc = write_h5(a, &m, bytes, labels, lo, hi, c->comm);
  if (!rc && a->out) {  // gather to rank 0 in rank order (= sample order), in place
    displs = counts + c->size;
    for (int r = 0; r < c->size; r++) {
      long long rlo = a->n * r / c->size, rhi = a->n * (r + 1) / c->size;
      counts[r] = (int)((rhi - rlo) * (long long)D);
      displs[r] = (int)(rlo * (long long)D);
    }
    MPI_Gatherv(c->rank == 0 ? MPI_IN_PLACE : bytes, (int)((hi - lo) * (long long)D), MPI_UINT8_T, bytes, counts,
                displs, MPI_UINT8_T, 0, c->comm);
    if (c->rank == 0) rc = write_grid(a, &m, bytes);
    rc = mpi_command_agree(c->comm, rc);
  }
  if (!rc && c->rank == 0)
    printf("vdmc sample: %lld samples from step %lld of %s (sampler %s, schedule %s, %lld steps, guidance %g, "
           "seed %lld) in %.2f s, %.3f img/s on %d rank(s)%s%s%s%s\n",
           a->n, (long long)m.step, m.file, a->sampler, a->schedule ? a->schedule : "default", a->steps, a->guidance,
           a->seed, seconds, a->n / seconds,
           c->size, a->out ? " -> " : "", a->out ? a->out : "", a->h5 ? " -> " : "", a->h5 ? a->h5 : "");
  free(bytes);
  free(labels);
  free(counts);
  ckpt_model_free(&m);
  return rc;
}

static int body(int argc, char **argv, const VdmcComm *c) {
  SampleArgs a;
  int rc = parse_args(&a, argc, argv);
  return rc ? rc : run(&a, c);
}

int cmd_sample(int argc, char **argv) { return mpi_command_run("sample", argc, argv, usage, body); }
