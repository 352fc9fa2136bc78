// Sampling speed of the default U-Net (the fmnist config, class-conditional) with the
// EDM sampler, against the baseline of one U-Net forward of the same batch measured in
// the same run. Random weights (ADM init plus noise, so no output is zero): speed does
// not depend on training. Every rank samples its own batch of B images, as `vdmc
// sample` does (rank r takes a contiguous range), so P ranks make P*B images.
//
// A 256-step EDM run is 511 forwards (~minutes per batch on a laptop core), so the
// bench times `steps` Heun steps (default 8, i.e. 15 forwards) and projects to 256
// steps from the measured seconds per network evaluation; the sampler's own work
// (noise, Heun updates, parameterization) is part of that figure.
//
// usage: [mpirun -n P] bench_sample [batch=8] [steps=8] [guidance=0]
// prints, on rank 0: forward seconds (baseline), seconds per evaluation inside the
// sampler and their ratio, img/s at 256 steps over all ranks, and a RESULT line.
#include <stdio.h>
#include <stdlib.h>

#include "blas/blas_startup.h"
#include "core/status.h"
#include "models/unet.h"
#include "mpi/comm.h"
#include "sample/progress.h"
#include "sample/sampler.h"
#include "sample/net_denoiser.h"

// The U-Net denoiser with the seconds spent inside it, so the sampler's own overhead
// (noise, Heun updates, parameterization conversions) is measured, not inferred.
typedef struct {
  Denoiser inner;
  double seconds;
} Timed;

static int timed_fn(void *ctx, float *out, const float *z, const double *lambda, const int *labels, int B) {
  Timed *t = ctx;
  double t0 = progress_now();
  int rc = t->inner.fn(t->inner.ctx, out, z, lambda, labels, B);
  t->seconds += progress_now() - t0;
  return rc;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_sample: %s: %s\n", what, vdmc_error_message());
  return 1;
}

int main(int argc, char **argv) {
  if (blas_select_or_reexec(argc, argv) != VDMC_OK) return fail("blas");
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) return fail("MPI");
  int B = argc > 1 ? atoi(argv[1]) : 8, steps = argc > 2 ? atoi(argv[2]) : 8;
  double w = argc > 3 ? atof(argv[3]) : 0;
  if (B < 1 || steps < 2) return fail("usage: bench_sample [batch >= 1] [steps >= 2] [guidance]");
  UNetConfig cfg = unet_config_fmnist_default();
  cfg.dropout = 0;
  StepNet u;
  int mult = w != 0 ? 2 : 1;
  if (unet_create(&u, &cfg, mult * B)) return fail("unet_create");
  size_t P = stepnet_param_floats(&u), D = (size_t)cfg.resolution * cfg.resolution * cfg.in_channels;
  float *params = vdmc_alloc_floats(P), *lambda_f = malloc((size_t)mult * B * sizeof(float));
  float *x = malloc((size_t)mult * B * D * sizeof(float)), *out = malloc((size_t)mult * B * D * sizeof(float));
  int *labels = malloc((size_t)mult * B * sizeof(int));
  stepnet_init_params(&u, params, 1);
  for (size_t i = 0; i < P; i++) params[i] += 1e-3f * (float)((i * 2654435761u) % 1000) / 1000.0f;
  for (size_t i = 0; i < (size_t)mult * B * D; i++) x[i] = (float)((i * 40503u) % 1000) / 500.0f - 1.0f;
  for (int i = 0; i < mult * B; i++) labels[i] = i % cfg.num_classes, lambda_f[i] = 0.5f;

  // baseline: one forward of the batch the sampler sends (2B when guided), best of 3
  double fwd = 1e30;
  for (int r = 0; r < 3; r++) {
    double t0 = progress_now();
    if (stepnet_forward(&u, params, out, x, lambda_f, labels, mult * B, NULL)) return fail("forward");
    double t = progress_now() - t0;
    fwd = t < fwd ? t : fwd;
  }
  NetDenoiser ud = {&u, params, lambda_f};
  Timed timed = {net_denoiser(&ud, PRED_EPS, 0.5), 0};
  Denoiser den = timed.inner;
  den.fn = timed_fn;
  den.ctx = &timed;
  SamplerOptions o;
  sampler_defaults(&o, SAMPLER_EDM, -20, 20);
  o.steps = steps;
  o.guidance = w;
  MPI_Barrier(c.comm);
  double t0 = progress_now();
  if (sampler_run(&o, &den, x, labels, (uint64_t)c.rank * B, B)) return fail("sampler_run");
  double mine[2] = {progress_now() - t0, timed.seconds}, slow[2];
  MPI_Allreduce(mine, slow, 2, MPI_DOUBLE, MPI_MAX, c.comm);
  double slowest = slow[0];
  int evals = sampler_evaluations(&o);
  double per_eval = slowest / evals, img_s = (double)c.size * B / (per_eval * (2 * 256 - 1));
  if (c.rank == 0) {
    printf("bench_sample: default U-Net (fmnist, %.3f GFLOP/img fwd), EDM, batch %d per rank, P = %d, guidance %g\n",
           stepnet_flops_per_image(&u) / 1e9, B, c.size, w);
    printf("  baseline: one forward of %d images        %.4f s\n", mult * B, fwd);
    printf("  sampler: %d steps = %d evaluations in %.3f s = %.4f s/evaluation (%.3fx the forward)\n", steps, evals,
           slowest, per_eval, per_eval / fwd);
    printf("  inside the network: %.3f s (%.4f s/forward), sampler's own work %.1f%% of the time\n", timed.seconds,
           timed.seconds / evals, 100 * (mine[0] - timed.seconds) / mine[0]);
    printf("  projected 256 EDM steps (511 evaluations): %.4f img/s over %d rank(s), %.1f s per batch\n", img_s,
           c.size, per_eval * 511);
    printf("RESULT P=%d img_per_s_256=%.5f eval_over_forward=%.3f\n", c.size, img_s, per_eval / fwd);
  }
  stepnet_free(&u);
  vdmc_free_floats(params);
  free(lambda_f);
  free(x);
  free(out);
  free(labels);
  vdmc_mpi_finalize();
  return 0;
}
