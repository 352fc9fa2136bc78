// `vdmc upgrade RUN_DIR|FILE`: rewrites format_version 1 checkpoints (written before
// the whole-file checksum record) as format_version 2, so runs started before it
// resume, sample and evaluate again (io/checkpoint_upgrade.c, docs/checkpoints.md
// "Upgrading format_version 1"). Under mpirun the ranks split the arrays.
#define _POSIX_C_SOURCE 200809L  // access
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/flag_parse.h"
#include "cli/mpi_command.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "train/ema_snapshot.h"
#include "train/train_eval.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc upgrade RUN_DIR|FILE.h5   (under mpirun: ranks split the arrays)\n"
          "  rewrites format_version 1 checkpoints (no checksum record) as format_version 2: RUN_DIR's committed\n"
          "  step files, RUN_DIR/best.h5 and RUN_DIR/ema/power-ema-*.h5, or one file (e.g. a vdmc ema output).\n"
          "  Each is verified (every field and crc32) before anything is written, written next to it, loaded\n"
          "  back and compared bit for bit, and only then renamed over its name; the original stays as\n"
          "  DIR/format-v1/NAME. format_version 2 files are left as they are: a second run changes nothing.\n");
}

typedef struct {
  const char *path;
} Args;

static int parse(void *args, int argc, char **argv) {
  Args *a = args;
  a->path = NULL;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') return flag_unknown(argv[i], "upgrade");
    if (a->path) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (one RUN_DIR or FILE)", argv[i]);
    a->path = argv[i];
  }
  if (!a->path) return vdmc_fail(VDMC_ERR_INPUT, "RUN_DIR or FILE is required");
  return VDMC_OK;
}

// Collective: RUN_DIR's files in the checkpoint format besides its step files:
// RUN/best.h5 (run.keep_best) and the post-hoc EMA snapshots of RUN/ema/, as
// train --resume, vdmc ema, sample and eval read them.
static int upgrade_run_extras(const char *run_dir, MPI_Comm comm, CheckpointUpgrade *r) {
  char best[4200];
  snprintf(best, sizeof best, "%s/%s", run_dir, TRAIN_EVAL_BEST_FILE);
  int status = access(best, F_OK) == 0 ? checkpoint_upgrade(best, comm, stdout, r) : VDMC_OK;
  int64_t *images = NULL;
  char(*snapshots)[4096] = NULL;
  int n = 0;
  if (!status) status = ema_snapshot_list(run_dir, &images, &snapshots, &n);
  for (int i = 0; !status && i < n; i++) status = checkpoint_upgrade(snapshots[i], comm, stdout, r);
  free(images);
  free(snapshots);
  return status;
}

static int run(void *args, const VdmcComm *c) {
  const Args *a = args;
  CheckpointUpgrade r = {0, 0};
  struct stat sb;
  int is_run = stat(a->path, &sb) == 0 && S_ISDIR(sb.st_mode);
  int status = checkpoint_upgrade(a->path, c->comm, stdout, &r);
  if (!status && is_run) status = upgrade_run_extras(a->path, c->comm, &r);
  if (!status && is_run && c->rank == 0) {
    if (r.upgraded)
      printf("%s: upgraded %d file%s to format_version 2 (%d already were); `latest` names the same step as before\n",
             a->path, r.upgraded, r.upgraded > 1 ? "s" : "", r.current);
    else
      printf("%s: nothing to upgrade: all %d files are format_version 2\n", a->path, r.current);
  }
  return status;
}

static const MpiCommand UPGRADE = {"upgrade", usage, 1, parse, run};

int cmd_upgrade(int argc, char **argv) {
  Args a;
  return mpi_command_run(&UPGRADE, &a, argc, argv);
}
