// The sampling loop of `vdmc sample` and `vdmc eval --fid` (generate.h).
#include "sample/generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pixels.h"
#include "core/status.h"
#include "sample/progress.h"
#include "sample/samples_h5.h"

void sample_request_defaults(SampleRequest *r) {
  memset(r, 0, sizeof *r);
  r->sampler = "edm";
  r->steps = 0;
  r->klass = -1;
  r->batch = 16;
}

void sample_rank_range(long long n, int rank, int P, long long *lo, long long *hi) {
  *lo = n * rank / P;
  *hi = n * (rank + 1) / P;
}

int sample_batch(const SampleRequest *r, int P) {
  long long per_rank = (r->n + P - 1) / P;
  return (int)(r->batch < per_rank ? r->batch : per_rank);
}

int sample_model_batch(const SampleRequest *r, int P) { return sample_batch(r, P) * (r->guidance != 0 ? 2 : 1); }

int sample_request_resolve(SampleRequest *r, const Run *run) {
  SamplerKind kind;
  int rc = sampler_kind_parse(r->sampler, &kind);
  if (rc) return rc;
  int K = run->net.cfg.num_classes;
  if (r->guidance != 0 && K == 0)
    return vdmc_fail(VDMC_ERR_INPUT, "--guidance %g: the model of %s is unconditional (model.num_classes = 0); "
                     "classifier-free guidance needs a class-conditional model", r->guidance, run->file);
  if (r->klass >= 0 && r->klass >= K)
    return vdmc_fail(VDMC_ERR_INPUT, "--class %lld: outside [0, %d) (model.num_classes = %d in %s)", r->klass, K, K,
                     run->file);
  if (r->steps == 0) r->steps = sampler_default_steps(kind);
  return VDMC_OK;
}

static int sampler_options(SamplerOptions *o, const SampleRequest *r, const Run *run) {
  SamplerKind kind;
  int rc = sampler_kind_parse(r->sampler, &kind);
  const Config *cfg = &run->cs.values;
  if (!rc) rc = sampler_defaults(o, kind, cfg->diffusion.lambda_min, cfg->diffusion.lambda_max);
  if (!rc && r->schedule)
    rc = sampler_set_schedule(o, r->schedule, &run->obj.schedule, cfg->diffusion.lambda_min, cfg->diffusion.lambda_max,
                              log(cfg->diffusion.shift_base / cfg->model.resolution));
  o->steps = (int)r->steps;
  o->seed = (uint64_t)r->seed;
  o->guidance = r->guidance;
  return rc;
}

static void on_step(void *ctx, int step, int steps) {
  (void)step;
  (void)steps;
  progress_add(ctx, 1);
}

int sample_generate_range(const SampleRequest *r, const Run *run, Denoiser den, int P, long long lo, long long hi,
                          const char *progress, SampleSink sink, void *ctx) {
  SamplerOptions o;
  int rc = sampler_options(&o, r, run);
  if (rc) return rc;
  int B = sample_batch(r, P), K = den.num_classes;
  Progress p;
  progress_start(&p, progress ? progress : "", "steps", ((hi - lo) + B - 1) / B * o.steps, progress != NULL);
  o.on_step = on_step;
  o.on_step_ctx = &p;
  float *x = malloc((size_t)B * den.D * sizeof(float));
  uint8_t *bytes = malloc((size_t)B * den.D);
  int *lab = malloc((size_t)B * sizeof(int));
  int32_t *lab32 = malloc((size_t)B * sizeof(int32_t));
  if (!x || !bytes || !lab || !lab32) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for a batch of %d samples", B);
  for (long long first = lo; first < hi && !rc; first += B) {
    int b = (int)(hi - first < B ? hi - first : B);
    for (int i = 0; i < b; i++) {
      lab[i] = K == 0 ? 0 : r->klass >= 0 ? (int)r->klass : (int)((first + i) % K);
      lab32[i] = lab[i];
    }
    rc = sampler_run(&o, &den, x, K ? lab : NULL, (uint64_t)first, b);
    for (size_t k = 0; !rc && k < (size_t)b * den.D; k++) {
      if (!isfinite(x[k])) {
        rc = vdmc_fail(VDMC_ERR_NUMERIC, "sample %lld is not finite: the model's output overflowed (%s, step %lld)",
                       first + (long long)(k / den.D), run->file, (long long)run->step);
        break;
      }
      bytes[k] = unit_to_pixel(x[k]);
    }
    if (!rc) rc = sink(ctx, bytes, lab32, first, b);
  }
  progress_finish(&p);
  free(x);
  free(bytes);
  free(lab);
  free(lab32);
  return rc;
}

int sample_rows_sink(void *rows, const uint8_t *images, const int32_t *labels, long long first, int count) {
  SampleRows *s = rows;
  size_t at = (size_t)(first - s->lo);
  memcpy(s->images + at * s->D, images, (size_t)count * s->D);
  memcpy(s->labels + at, labels, (size_t)count * sizeof *labels);
  return VDMC_OK;
}

int sample_write_h5(const char *path, const SampleRequest *r, const Run *run, const uint8_t *images,
                    const int32_t *labels, long long lo, long long hi, MPI_Comm comm) {
  const UNetConfig *u = &run->net.cfg;
  char source[4400];
  snprintf(source, sizeof source,
           "vdmc sample %s step %lld: sampler %s, schedule %s, %lld steps, guidance %g, seed %lld", run->file,
           (long long)run->step, r->sampler, r->schedule ? r->schedule : "default", r->steps, r->guidance, r->seed);
  DatasetSpec spec = {"samples", source, (size_t)r->n, (size_t)u->resolution, (size_t)u->resolution,
                      (size_t)u->in_channels, u->num_classes > 0 ? u->num_classes : 1};
  return samples_h5_write(path, &spec, images, labels, (size_t)lo, (size_t)(hi - lo), comm);
}
