// Sample grids during training (run.sample_every): rank 0 draws a few images from
// the EMA weights with the EDM sampler and writes RUN/samples/step-NNNNNNNN.png.
#include <stdio.h>
#include <stdlib.h>

#include "core/fs.h"
#include "core/status.h"
#include "io/png_write.h"
#include "sample/sampler.h"
#include "sample/net_denoiser.h"
#include "train/trainer.h"

enum { GRID_SAMPLES = 16, GRID_STEPS = 32 };

void trainer_sample_grid_path(const Trainer *t, char *path, size_t n) {
  snprintf(path, n, "%s/samples/step-%08lld.png", t->run_dir, (long long)t->step);
}

int trainer_sample_grid(Trainer *t) {
  if (t->comm.rank != 0) return VDMC_OK;
  int n = t->mb < GRID_SAMPLES ? t->mb : GRID_SAMPLES;  // the model's arena holds mb examples
  SamplerOptions o;
  int rc = sampler_defaults(&o, SAMPLER_EDM, t->run.obj.schedule.lambda_min, t->run.obj.schedule.lambda_max);
  if (rc) return rc;
  o.steps = GRID_STEPS;
  o.seed = (uint64_t)t->run.cs.values.run.seed;
  NetDenoiser ud = {.net = &t->run.net, .params = t->run.ema, .lambda_f = t->lambda_f};
  Denoiser d = net_denoiser(&ud, t->run.obj.spec.pred, t->run.obj.spec.sigma_data);
  float *x = calloc((size_t)n * t->D, sizeof(float));
  int *labels = calloc((size_t)n, sizeof(int));
  uint8_t *grid = NULL;
  if (!x || !labels) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the sample grid");
  for (int i = 0; i < n; i++) labels[i] = t->num_classes ? i % t->num_classes : 0;
  if (!rc) rc = sampler_run(&o, &d, x, t->num_classes ? labels : NULL, 0, n);
  char dir[4200], path[4300];
  snprintf(dir, sizeof dir, "%s/samples", t->run_dir);
  trainer_sample_grid_path(t, path, sizeof path);
  if (!rc) rc = fs_mkdir_p(dir);
  int gw, gh;
  image_grid(NULL, &gw, &gh, x, n, t->H, t->W, t->C, 4);
  if (!rc && !(grid = malloc((size_t)gw * gh * t->C))) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  if (!rc) {
    image_grid(grid, &gw, &gh, x, n, t->H, t->W, t->C, 4);
    rc = png_write(path, grid, gw, gh, t->C);
  }
  if (!rc) fprintf(stderr, "vdmc train: samples of step %lld: %s\n", (long long)t->step, path);
  free(grid);
  free(labels);
  free(x);
  return rc;
}
