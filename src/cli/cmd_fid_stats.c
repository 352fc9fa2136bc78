// `vdmc fid-stats DATASET.h5 --features FEAT.h5 --out STATS.h5`: FID reference
// statistics (feature mean and covariance, float64) of a dataset under a feature
// classifier; ranks split the examples (docs/fid.md).
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "eval/features.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "cli/flag_parse.h"
#include "cli/mpi_command.h"

static void usage(FILE *f) {
  fputs("usage: [mpirun -n P] vdmc fid-stats DATASET.h5 --features FEAT.h5 --out STATS.h5 [--is-splits S] "
        "[--keep-features N]\n"
        "  --is-splits S: Inception Score splits (default 10; N >= S); --keep-features N: also store the first N "
        "examples' features, which vdmc eval --kid / --pr need (default 0)\n",
        f);
}

typedef struct {
  const char *data, *feat, *out;
  long long splits, keep;
} Args;

static int parse(void *args, int argc, char **argv) {
  Args *a = args;
  *a = (Args){0};
  a->splits = FEATURES_IS_SPLITS;
  for (int i = 1; i < argc; i++) {
    const char *flag = argv[i], *value = NULL;
    int took = flag_value(argc, argv, &i, "--features --out --is-splits --keep-features", &value);
    if (took < 0) return VDMC_ERR_INPUT;
    if (took > 0) {
      if (!strcmp(flag, "--features")) a->feat = value;
      else if (!strcmp(flag, "--out")) a->out = value;
      else if (!strcmp(flag, "--keep-features")) {
        if (flag_int(flag, value, 0, 1LL << 40, &a->keep)) return VDMC_ERR_INPUT;
      } else if (flag_int(flag, value, 1, 1000000, &a->splits)) {
        return VDMC_ERR_INPUT;
      }
    } else if (!strncmp(flag, "--", 2)) {
      return flag_unknown(flag, "fid-stats");
    } else if (argv[i][0] == '-' || a->data) {
      return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s'", argv[i]);
    } else {
      a->data = argv[i];
    }
  }
  if (!a->data || !a->feat || !a->out)
    return vdmc_fail(VDMC_ERR_INPUT, "DATASET.h5, --features FEAT.h5 and --out STATS.h5 are required");
  return VDMC_OK;
}

static int run(void *args, const VdmcComm *c) {
  const Args *a = args;
  FeatureNet f;
  FeatureSummary s;
  memset(&f, 0, sizeof f);
  memset(&s, 0, sizeof s);
  double t0 = MPI_Wtime();
  const char *inputs[2] = {a->data, a->feat};
  int st = mpi_command_check_files(c->comm, inputs, 2, &a->out, 1);
  if (!st) st = features_load(&f, a->feat, FEATURES_BATCH);
  if (!st) st = features_summarize(&f, a->data, (int)a->splits, a->keep, c->comm, &s);
  if (!st && c->rank == 0) st = fid_stats_write(a->out, &s.stats);
  st = mpi_agree(c->comm, st);
  char acc[64] = "n/a";
  if (s.accuracy >= 0) snprintf(acc, sizeof acc, "%.4f", s.accuracy);
  if (!st && c->rank == 0)
    printf("fid-stats: %s: n %lld, d %zu, classifier accuracy %s, inception score %.4f +- %.4f (%d splits), "
           "%.1f s on %d rank(s) -> %s\n",
           a->data, (long long)s.stats.n, s.stats.d, acc, s.is_mean, s.is_std, s.is_splits, MPI_Wtime() - t0, c->size,
           a->out);
  fid_stats_free(&s.stats);
  features_free(&f);
  return st;
}

static const MpiCommand FID_STATS = {"fid-stats", usage, 1, parse, run};

int cmd_fid_stats(int argc, char **argv) {
  Args a;
  return mpi_command_run(&FID_STATS, &a, argc, argv);
}
