// `vdmc import MODEL.safetensors --config CONFIG.yaml --run DIR [--set KEY=VALUE]...`:
// a new run whose step-0 checkpoint holds exported weights (src/interop/import.h,
// docs/interop.md); `vdmc train CONFIG --run DIR` then fine-tunes from it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config_args.h"
#include "core/status.h"
#include "interop/import.h"
#include "cli/mpi_command.h"

static void usage(FILE *f) {
  fputs("usage: [mpirun -n P] vdmc import MODEL.safetensors --config CONFIG.yaml --run DIR [--set KEY=VALUE]...\n"
        "  starts the run DIR from the weights of MODEL (params and EMA, Adam moments zero, step 0); the model that\n"
        "  CONFIG builds must have exactly the file's tensors. Then: vdmc train CONFIG.yaml --run DIR\n",
        f);
}

typedef struct {
  const char *file, *run;
  ConfigSet cs;
} Args;

static int take_run(int argc, char **argv, int i, void *ctx) {
  if (i + 1 >= argc || strcmp(argv[i], "--run")) return 0;
  ((Args *)ctx)->run = argv[i + 1];
  return 2;
}

// The safetensors file is the first plain argument; --config C becomes the config
// argument config_args_resolve expects, so --set works as in vdmc train.
static int parse(void *args, int argc, char **argv) {
  Args *a = args;
  a->file = a->run = NULL;
  char **rest = malloc((size_t)argc * sizeof *rest);
  if (!rest) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  int n = 0, have_config = 0, rc = VDMC_OK;
  for (int i = 1; i < argc && !rc; i++) {
    if (!strcmp(argv[i], "--config")) {
      if (i + 1 >= argc) rc = vdmc_fail(VDMC_ERR_INPUT, "option --config needs a value");
      else rest[n++] = argv[++i], have_config = 1;
    } else if (!strcmp(argv[i], "--set") || !strcmp(argv[i], "--run")) {
      rest[n++] = argv[i];
      if (i + 1 < argc) rest[n++] = argv[++i];
    } else if (argv[i][0] != '-' && !a->file) {
      a->file = argv[i];
    } else {
      rest[n++] = argv[i];
    }
  }
  if (!rc && (!a->file || !have_config))
    rc = vdmc_fail(VDMC_ERR_INPUT, "MODEL.safetensors and --config CONFIG.yaml are required");
  if (!rc) rc = config_args_resolve(&a->cs, n, rest, take_run, a);
  if (!rc && !a->run) rc = vdmc_fail(VDMC_ERR_INPUT, "--run DIR is required");
  free(rest);
  return rc;
}

static int run(void *args, const VdmcComm *c) {
  Args *a = args;
  int st = import_safetensors(a->file, &a->cs, c, a->run);
  if (!st && c->rank == 0) printf("import: %s -> %s (step 0)\n", a->file, a->run);
  return st;
}

static const MpiCommand IMPORT = {"import", usage, 0, parse, run};

int cmd_import(int argc, char **argv) {
  Args *a = calloc(1, sizeof *a);  // a ConfigSet is large for the stack
  if (!a) return 1;
  int rc = mpi_command_run(&IMPORT, a, argc, argv);
  free(a);
  return rc;
}
