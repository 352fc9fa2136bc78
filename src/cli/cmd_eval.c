// vdmc eval: evaluate a run's EMA model; --bpd: the VDM bits/dim over a dataset split;
// --fid: Frechet distance (and Inception Score) of generated samples (docs/fid.md).
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "eval/bpd_eval.h"
#include "eval/fid_evaluate.h"
#include "mpi/comm.h"
#include "sample/flag_parse.h"
#include "sample/mpi_command.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc eval RUN_DIR|CHECKPOINT --bpd [options]   (under mpirun: ranks split the examples)\n"
          "       vdmc eval --fid --samples S.h5 --ref STATS.h5 --features FEAT.h5\n"
          "  --fid              FID and Inception Score of S.h5 (from `vdmc sample --h5`) against\n"
          "                     STATS.h5 (`vdmc fid-stats`) in the feature space of FEAT.h5\n"
          "                     (`vdmc train-classifier`); ranks split the samples, the distance\n"
          "                     runs on a ScaLAPACK grid of all ranks\n"
          "  --bpd              VDM negative ELBO in bits/dim: prior + reconstruction + diffusion\n"
          "  --split NAME       test (data.test) | train (data.train)  (default test)\n"
          "  --t-samples K      diffusion-loss times per example        (default 4)\n"
          "  --n N              the first N examples of the split        (default all)\n"
          "  --batch B          network batch of (example, time) pairs   (default 64)\n"
          "  --seed S           seed of the t, eps and z_0 draws         (default 0)\n"
          "  --unconditional    class-conditional model: use the null class instead of the labels\n");
}

typedef struct {
  int bpd, fid;
  const char *samples, *ref, *features;
  BpdEvalArgs b;
} EvalArgs;

static int parse_args(EvalArgs *a, int argc, char **argv) {
  memset(a, 0, sizeof *a);
  a->b.split = "test";
  a->b.t_samples = 4;
  a->b.batch = 64;
  long long v = 0;
  int rc = VDMC_OK;
  for (int i = 1; i < argc && !rc; i++) {
    const char *f = argv[i];
    if (strncmp(f, "--", 2)) {
      if (a->b.path) return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (one RUN_DIR|CHECKPOINT)", f);
      a->b.path = f;
      continue;
    }
    if (!strcmp(f, "--bpd")) {
      a->bpd = 1;
      continue;
    }
    if (!strcmp(f, "--fid")) {
      a->fid = 1;
      continue;
    }
    if (!strcmp(f, "--unconditional")) {
      a->b.unconditional = 1;
      continue;
    }
    const char *val = i + 1 < argc ? argv[++i] : NULL;
    if (!strcmp(f, "--samples") || !strcmp(f, "--ref") || !strcmp(f, "--features")) {
      if (!val) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", f);
      *(f[2] == 's' ? &a->samples : f[2] == 'r' ? &a->ref : &a->features) = val;
    } else if (!strcmp(f, "--split")) {
      if (!val) return vdmc_fail(VDMC_ERR_INPUT, "--split: missing value");
      a->b.split = val;
    } else if (!strcmp(f, "--t-samples")) {
      if (!(rc = flag_int(f, val, 1, 1 << 20, &v))) a->b.t_samples = (int)v;
    } else if (!strcmp(f, "--n")) {
      rc = flag_int(f, val, 1, LLONG_MAX, &a->b.n);
    } else if (!strcmp(f, "--batch")) {
      if (!(rc = flag_int(f, val, 1, 1 << 20, &v))) a->b.batch = (int)v;
    } else if (!strcmp(f, "--seed")) {
      if (!(rc = flag_int(f, val, 0, LLONG_MAX, &v))) a->b.seed = (uint64_t)v;
    } else {
      return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s' (see vdmc eval --help)", f);
    }
  }
  if (rc) return rc;
  if (!a->bpd && !a->fid) return vdmc_fail(VDMC_ERR_INPUT, "nothing to evaluate: give --bpd and/or --fid");
  if (a->bpd && !a->b.path) return vdmc_fail(VDMC_ERR_INPUT, "--bpd: missing RUN_DIR or CHECKPOINT (see --help)");
  if (a->fid && (!a->samples || !a->ref || !a->features))
    return vdmc_fail(VDMC_ERR_INPUT, "--fid needs --samples S.h5 (vdmc sample --h5), --ref STATS.h5 "
                     "(vdmc fid-stats) and --features FEAT.h5 (vdmc train-classifier)");
  if (strcmp(a->b.split, "test") && strcmp(a->b.split, "train"))
    return vdmc_fail(VDMC_ERR_INPUT, "--split: '%s' (expected test or train)", a->b.split);
  return VDMC_OK;
}

static int body(int argc, char **argv, const VdmcComm *c) {
  EvalArgs a;
  BpdResult res;
  int rc = parse_args(&a, argc, argv);
  if (!rc && a.bpd) rc = bpd_eval_run(&a.b, c, &res);
  if (!rc && a.bpd && c->rank == 0) bpd_eval_print(stdout, &a.b, &res);
  if (!rc && a.fid) {
    FidResult f;
    rc = fid_evaluate(a.samples, a.ref, a.features, c->comm, &f);
    if (!rc && c->rank == 0)
      printf("FID of %s (%lld samples) against %s (%lld images), %zu features of %s:\n"
             "  fid              %.6f\n  inception score  %.4f\n  |mu1-mu2|^2 %.6g  Tr S1 %.6g  Tr S2 %.6g  "
             "Tr sqrt %.6g  (grid %dx%d)\n",
             a.samples, (long long)f.n_samples, a.ref, (long long)f.n_reference, f.d, a.features, f.fid,
             f.inception_score, f.parts.mean_term, f.parts.trace1, f.parts.trace2, f.parts.trace_sqrt,
             f.parts.nprow, f.parts.npcol);
  }
  return rc;
}

int cmd_eval(int argc, char **argv) { return mpi_command_run("eval", argc, argv, usage, body); }
