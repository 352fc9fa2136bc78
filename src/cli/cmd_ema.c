// `vdmc ema RUN --std S [--std S2 ...] --out FILE`: post-hoc EMA, the weights of any
// relative std reconstructed from the run's power-function EMA snapshots
// (src/train/ema_reconstruct.h, docs/training.md "Post-hoc EMA"). Under mpirun the
// ranks split the flat arrays.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/flag_parse.h"
#include "cli/mpi_command.h"
#include "core/status.h"
#include "mpi/agree.h"
#include "optim/ema_power.h"
#include "train/ema_reconstruct.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc ema RUN_DIR --std S [--std S2 ...] --out FILE.h5   (under mpirun: ranks split the weights)\n"
          "  reconstructs the EMA of relative std S (edm2's sigma_rel, in (0, %.4f)) at the newest snapshot from\n"
          "  RUN_DIR/ema/power-ema-*.h5 (train with optim.ema_stds) and writes a checkpoint that sample, eval and\n"
          "  export read: the latest checkpoint with its \"ema\" replaced. With several --std the files are\n"
          "  FILE-stdS.h5.\n",
          EMA_POWER_MAX_STD);
}

static int parse(void *args, int argc, char **argv) {
  EmaReconstructRequest *r = args;
  memset(r, 0, sizeof *r);
  for (int i = 1; i < argc; i++) {
    const char *f = argv[i], *v = NULL;
    int took = flag_value(argc, argv, &i, "--std --out", &v);
    if (took < 0) return VDMC_ERR_INPUT;
    if (!took) {
      if (f[0] == '-') return flag_unknown(f, "ema");
      if (r->run_dir) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (one RUN_DIR)", f);
      r->run_dir = f;
    } else if (!strcmp(f, "--out")) {
      if (r->out) return vdmc_fail(VDMC_ERR_INPUT, "--out is given twice");
      r->out = v;
    } else {
      double s;
      // the open interval (0, EMA_POWER_MAX_STD): the closed range check, then the ends
      int rc = flag_double("--std", v, 0, EMA_POWER_MAX_STD, &s);
      if (!rc && !(s > 0 && s < EMA_POWER_MAX_STD))
        rc = vdmc_fail(VDMC_ERR_INPUT, "--std %s: expected a relative std in (0, %.4f)", v, EMA_POWER_MAX_STD);
      if (rc) return rc;
      if (r->nstd == EMA_RECONSTRUCT_MAX_STDS)
        return vdmc_fail(VDMC_ERR_INPUT, "--std: at most %d per command", EMA_RECONSTRUCT_MAX_STDS);
      for (int k = 0; k < r->nstd; k++)
        if (r->std[k] == s) return vdmc_fail(VDMC_ERR_INPUT, "--std %s is given twice", v);
      r->std[r->nstd++] = s;
    }
  }
  if (!r->run_dir || !r->nstd || !r->out)
    return vdmc_fail(VDMC_ERR_INPUT, "RUN_DIR, at least one --std and --out are required");
  return VDMC_OK;
}

static int run(void *args, const VdmcComm *c) {
  const EmaReconstructRequest *r = args;
  char paths[EMA_RECONSTRUCT_MAX_STDS][4200];
  const char *outs[EMA_RECONSTRUCT_MAX_STDS];
  for (int k = 0; k < r->nstd; k++) {
    ema_reconstruct_out_path(r, k, paths[k], sizeof paths[k]);
    outs[k] = paths[k];
  }
  int rc = mpi_command_check_files(c->comm, NULL, 0, outs, r->nstd);
  if (!rc) rc = ema_reconstruct(r, c->comm, stdout);
  return mpi_agree(c->comm, rc);
}

static const MpiCommand EMA = {"ema", usage, 1, parse, run};

int cmd_ema(int argc, char **argv) {
  EmaReconstructRequest r;
  return mpi_command_run(&EMA, &r, argc, argv);
}
