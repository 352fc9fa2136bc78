// `vdmc info CONFIG.yaml [--ranks P] [--set KEY=VALUE]...`: what a config costs
// before it is submitted: parameters, FLOPs and activation memory per image,
// memory per rank at P ranks, and a step time projected from this machine's sgemm.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas/blas_bench.h"
#include "blas/blas_startup.h"
#include "cli/config_args.h"
#include "core/status.h"
#include "cli/flag_parse.h"
#include "models/model_from_config.h"

static int take_ranks(int argc, char **argv, int i, void *ctx) {
  const char *value;
  long long p = 0;
  int rc = flag_value(argc, argv, &i, "--ranks", &value);
  if (rc <= 0) return rc;
  if (flag_int("--ranks", value, 1, 1 << 24, &p)) return -1;
  *(int *)ctx = (int)p;
  return 2;
}

int config_info(int argc, char **argv) {
  int P = 1;
  ConfigSet cs;
  int rc = config_args_resolve(&cs, argc, argv, take_ranks, &P);
  if (rc) return rc;
  if (P < 1) return vdmc_fail(VDMC_ERR_INPUT, "--ranks expects an integer >= 1");
  const Config *c = &cs.values;
  int B = c->optim.batch_size;
  if (B % P) return vdmc_fail(VDMC_ERR_INPUT, "optim.batch_size %d is not divisible by --ranks %d", B, P);
  StepNet net;
  if ((rc = model_create_from_config(&net, &cs, 1))) return rc;  // batch 1: sizes per image
  if ((rc = model_set_train_precision(&net, &cs))) {  // bf16 stores some activations in 16 bits
    stepnet_free(&net);
    return rc;
  }
  double n = (double)stepnet_num_params(&net), flops = stepnet_flops_per_image(&net);
  double act = (double)stepnet_arena_bytes_per_image(&net), b = (double)(B / P);
  double mb = c->optim.micro_batch > 0 && c->optim.micro_batch < b ? c->optim.micro_batch : b;
  // params, grads, EMA in full; Adam m and v per shard under ZeRO-1
  double flat = 4.0 * n * (3 + 2.0 / (c->mpi.zero_stage ? P : 1));
  stepnet_free(&net);
  long calls;
  double gflops = blas_sgemm_gflops(1024, 0.5, &calls);
  double step_flops = 3.0 * flops * b;  // forward + backward = 3x forward
  printf("config        %s (model.arch %s, %dx%dx%d, %d classes)\n", cs.source_name, c->model.arch,
         c->model.resolution, c->model.resolution, c->model.in_channels, c->model.num_classes);
  printf("parameters    %.0f (%.1f M)\n", n, n / 1e6);
  printf("FLOPs/image   %.3g forward, %.3g training (3x forward)\n", flops, 3 * flops);
  printf("activations   %.1f MB per image; %.2f GB per pass of %.0f (local batch %d)\n", act / 1e6,
         act * mb / 1e9, mb, B / P);
  printf("per rank      %.2f GB flat buffers (params, grads, EMA%s) + %.2f GB activations at P = %d\n",
         flat / 1e9, c->mpi.zero_stage ? ", Adam sharded" : ", Adam", act * mb / 1e9, P);
  printf("step time     >= %.3g s at P = %d with this machine's sgemm (%.1f GFLOP/s per rank, %s);\n"
         "              vdmc reaches about half of sgemm on a full step (profiling/bench_step.sh)\n",
         step_flops / (gflops * 1e9), P, gflops, blas_report_line());
  printf("images/s      <= %.3g at P = %d on machines like this one\n", B / (step_flops / (gflops * 1e9)), P);
  return VDMC_OK;
}
