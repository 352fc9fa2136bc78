// `vdmc fid-stats DATASET.h5 --features FEAT.h5 --out STATS.h5`: FID reference
// statistics (feature mean and covariance, float64) of a dataset under a feature
// classifier; ranks split the examples (docs/fid.md).
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "eval/features.h"
#include "eval/fid_report.h"
#include "mpi/comm.h"

static const char *USAGE =
    "usage: [mpirun -n P] vdmc fid-stats DATASET.h5 --features FEAT.h5 --out STATS.h5\n";

static int parse(int argc, char **argv, const char **data, const char **feat, const char **out) {
  for (int i = 1; i < argc; i++) {
    const char **slot = !strcmp(argv[i], "--features") ? feat : !strcmp(argv[i], "--out") ? out : NULL;
    if (slot) {
      if (i + 1 >= argc) return vdmc_fail(VDMC_ERR_INPUT, "option %s needs a value", argv[i]);
      *slot = argv[++i];
    } else if (argv[i][0] == '-' || *data) {
      return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s'", argv[i]);
    } else {
      *data = argv[i];
    }
  }
  if (!*data || !*feat || !*out)
    return vdmc_fail(VDMC_ERR_INPUT, "DATASET.h5, --features FEAT.h5 and --out STATS.h5 are required");
  return VDMC_OK;
}

int cmd_fid_stats(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    fputs(USAGE, stdout);
    return 0;
  }
  const char *data = NULL, *feat = NULL, *out = NULL;
  if (parse(argc, argv, &data, &feat, &out)) {
    fprintf(stderr, "vdmc fid-stats: %s\n%s", vdmc_error_message(), USAGE);
    return 2;
  }
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) {
    fprintf(stderr, "vdmc fid-stats: %s\n", vdmc_error_message());
    return 1;
  }
  FeatureNet f;
  FeatureSummary s;
  memset(&s, 0, sizeof s);
  double t0 = MPI_Wtime();
  int st = features_load(&f, feat);
  if (!st) st = features_summarize(&f, data, c.comm, &s);
  if (!st && c.rank == 0) st = fid_stats_write(out, &s.stats);
  int rc = fid_report_status(c.comm, "fid-stats", st);
  if (!rc && c.rank == 0)
    printf("fid-stats: %s: n %lld, d %zu, classifier accuracy %.4f, inception score %.4f, %.1f s on %d "
           "rank(s) -> %s\n",
           data, (long long)s.stats.n, s.stats.d, s.accuracy, s.inception_score, MPI_Wtime() - t0, c.size,
           out);
  fid_stats_free(&s.stats);
  features_free(&f);
  vdmc_mpi_finalize();
  return rc;
}
