// `vdmc export RUN|CHECKPOINT --out model.safetensors [--weights ema|params]
// [--dtype f32|bf16|f16]`: the weights for PyTorch (src/interop/export.h,
// docs/interop.md). Serial work on rank 0 inside the mpirun frame of the other
// checkpoint readers.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "interop/export.h"
#include "mpi/agree.h"
#include "cli/mpi_command.h"

static void usage(FILE *f) {
  fputs("usage: vdmc export RUN_DIR|CHECKPOINT --out MODEL.safetensors [--weights ema|params] [--dtype f32|bf16|f16]\n"
        "  writes the run's weights (default: ema, f32) as safetensors in PyTorch's layouts, with the config and the\n"
        "  architecture in the metadata; python/vdmc_torch.py builds the model from it (docs/interop.md)\n",
        f);
}

typedef struct {
  ExportRequest req;
  const char *dtype;
} Args;

static int parse(void *args, int argc, char **argv) {
  Args *a = args;
  *a = (Args){{NULL, NULL, "ema", ST_F32}, "f32"};
  for (int i = 1; i < argc; i++) {
    const char **slot = !strcmp(argv[i], "--out") ? &a->req.out : !strcmp(argv[i], "--weights") ? &a->req.weights
                      : !strcmp(argv[i], "--dtype") ? &a->dtype : NULL;
    if (slot) {
      if (i + 1 >= argc) return vdmc_fail(VDMC_ERR_INPUT, "option %s needs a value", argv[i]);
      *slot = argv[++i];
    } else if (argv[i][0] == '-' || a->req.source) {
      return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s'", argv[i]);
    } else {
      a->req.source = argv[i];
    }
  }
  if (!a->req.source || !a->req.out) return vdmc_fail(VDMC_ERR_INPUT, "RUN_DIR|CHECKPOINT and --out FILE are required");
  if (strcmp(a->req.weights, "ema") && strcmp(a->req.weights, "params"))
    return vdmc_fail(VDMC_ERR_INPUT, "--weights: '%s' is not ema or params", a->req.weights);
  return safetensors_dtype_parse(a->dtype, &a->req.dtype);
}

static int run(void *args, const VdmcComm *c) {
  const Args *a = args;
  int st = mpi_command_check_files(c->comm, NULL, 0, &a->req.out, 1);
  if (!st && c->rank == 0) {
    st = export_safetensors(&a->req);
    if (!st) printf("export: %s (%s, %s) -> %s\n", a->req.source, a->req.weights, a->dtype, a->req.out);
  }
  return mpi_agree(c->comm, st);
}

static const MpiCommand EXPORT = {"export", usage, 0, parse, run};

int cmd_export(int argc, char **argv) {
  Args a;
  return mpi_command_run(&EXPORT, &a, argc, argv);
}
