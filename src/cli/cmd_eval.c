// vdmc eval: evaluate a run's EMA model; --bpd: the VDM bits/dim over a dataset split;
// --fid: Frechet distance and Inception Score of samples it generates (or reads from a
// file) in the space of a feature network (docs/fid.md).
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "eval/bpd_eval.h"
#include "eval/fid_evaluate.h"
#include "eval/fid_generate.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "cli/flag_parse.h"
#include "sample/ckpt_model.h"
#include "sample/generate.h"
#include "cli/mpi_command.h"
#include "sample/progress.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc eval RUN_DIR|CHECKPOINT --bpd [options]   (under mpirun: ranks split the examples)\n"
          "       vdmc eval RUN_DIR|CHECKPOINT --fid --n N --ref STATS.h5 --features FEAT.h5 [sampling options]\n"
          "       vdmc eval --fid --samples S.h5 --ref STATS.h5 --features FEAT.h5\n"
          "  --fid              FID and Inception Score against STATS.h5 (`vdmc fid-stats`) in the feature\n"
          "                     space of FEAT.h5 (`vdmc train-classifier`, or the FID Inception-v3 from\n"
          "                     jobs/convert_fid_inception.py, docs/fid.md) of N samples drawn from the run's\n"
          "                     EMA model (as `vdmc sample` draws them), or of S.h5 (`vdmc sample --h5`);\n"
          "                     ranks split the samples, the distance runs on a ScaLAPACK grid of all ranks\n"
          "  --is-splits S      Inception Score splits (mean +- std over them; N >= S)   (default 10)\n"
          "  --kid              also KID (100 subsets of min(1000, N, reference) samples) and\n"
          "  --pr               improved precision/recall (k = 3) against the reference features\n"
          "                     (`vdmc fid-stats --keep-features`), in the same feature space\n"
          "  sampling options (only with --fid --n):\n"
          "  --sampler NAME     ddpm | edm | ode | dpmpp-2m | dpmpp-3m-sde          (default edm)\n"
          "  --steps S          sampler steps                       (default 256; dpmpp-*: 20)\n"
          "  --schedule NAME    sampling schedule (see vdmc sample --help)    (default: the sampler's)\n"
          "  --guidance W       classifier-free guidance weight                       (default 0)\n"
          "  --class C          class of every sample            (default: sample i gets class i mod K)\n"
          "  --sample-batch B   samples per forward batch per rank                    (default 16)\n"
          "  --keep-samples F.h5  also write the samples, as `vdmc sample --h5` does\n"
          "  --bpd              VDM negative ELBO in bits/dim: prior + reconstruction + diffusion\n"
          "  --split NAME       test (data.test) | train (data.train)  (default test)\n"
          "  --t-samples K      diffusion-loss times per example        (default 4)\n"
          "  --n N              --bpd: the first N examples of the split (default all); --fid: N samples\n"
          "                     (with both, both use N)\n"
          "  --batch B          --bpd network batch of (example, time) pairs (default 64)\n"
          "  --seed S           seed of the t, eps and z_0 draws and of the sampler (default 0)\n"
          "  --unconditional    class-conditional model: use the null class instead of the labels (--bpd)\n");
}

typedef struct {
  int bpd, fid, kid, pr;
  const char *samples, *ref, *features, *keep;
  const char *sampling_flag;  // the first sampling option given (for the error without --n)
  long long is_splits;
  SampleRequest r;
  BpdEvalArgs b;
} EvalArgs;

// Sampling options: fills a->r; 1 if f is one, 0 if not, -1 on a bad value.
static int parse_sampling(EvalArgs *a, const char *f, const char *val) {
  SampleRequest *r = &a->r;
  int rc = VDMC_OK;
  if (!strcmp(f, "--sampler")) r->sampler = val;
  else if (!strcmp(f, "--schedule")) r->schedule = val;
  else if (!strcmp(f, "--keep-samples")) a->keep = val;
  else if (!strcmp(f, "--steps")) rc = flag_int(f, val, 1, 1000000, &r->steps);
  else if (!strcmp(f, "--class")) rc = flag_int(f, val, 0, INT_MAX, &r->klass);
  else if (!strcmp(f, "--sample-batch")) rc = flag_int(f, val, 1, 1 << 20, &r->batch);
  else if (!strcmp(f, "--guidance")) rc = flag_double(f, val, 0, 1e6, &r->guidance);
  else return 0;
  if (!val && !rc) rc = vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", f);
  if (!a->sampling_flag) a->sampling_flag = f;
  return rc ? -1 : 1;
}

static int check_args(EvalArgs *a) {
  if (!a->bpd && !a->fid) return vdmc_fail(VDMC_ERR_INPUT, "nothing to evaluate: give --bpd and/or --fid");
  if (a->bpd && !a->b.path) return vdmc_fail(VDMC_ERR_INPUT, "--bpd: missing RUN_DIR or CHECKPOINT (see --help)");
  if (strcmp(a->b.split, "test") && strcmp(a->b.split, "train"))
    return vdmc_fail(VDMC_ERR_INPUT, "--split: '%s' (expected test or train)", a->b.split);
  int generate = a->fid && !a->samples;
  if (a->sampling_flag && !generate)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: a sampling option, only for --fid --n N (samples drawn by vdmc eval)",
                     a->sampling_flag);
  if (!a->fid && a->is_splits)
    return vdmc_fail(VDMC_ERR_INPUT, "--is-splits: only with --fid");
  if (!a->fid && (a->kid || a->pr)) return vdmc_fail(VDMC_ERR_INPUT, "%s: only with --fid", a->kid ? "--kid" : "--pr");
  if (!a->fid) return VDMC_OK;
  if (a->samples && a->b.n)
    return vdmc_fail(VDMC_ERR_INPUT, "--fid: --samples %s (read samples) and --n %lld (generate samples) exclude "
                     "each other; give one", a->samples, a->b.n);
  if (!a->samples && !a->b.n)
    return vdmc_fail(VDMC_ERR_INPUT, "--fid: give --n N (draw N samples from RUN_DIR|CHECKPOINT) or --samples S.h5 "
                     "(from vdmc sample --h5)");
  if (generate && !a->b.path)
    return vdmc_fail(VDMC_ERR_INPUT, "--fid --n %lld: missing RUN_DIR or CHECKPOINT to sample from", a->b.n);
  if (!a->ref || !a->features)
    return vdmc_fail(VDMC_ERR_INPUT, "--fid needs --ref STATS.h5 (vdmc fid-stats) and --features FEAT.h5 "
                     "(vdmc train-classifier or jobs/convert_fid_inception.py)");
  a->r.n = a->b.n;
  a->r.seed = (long long)a->b.seed;
  SamplerKind k;
  return generate ? sampler_kind_parse(a->r.sampler, &k) : VDMC_OK;
}

static int parse_args(void *args, int argc, char **argv) {
  EvalArgs *a = args;
  memset(a, 0, sizeof *a);
  sample_request_defaults(&a->r);
  a->b.split = "test";
  a->b.t_samples = BPD_EVAL_T_SAMPLES;
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
    if (!strcmp(f, "--kid") || !strcmp(f, "--pr")) {
      *(!strcmp(f, "--kid") ? &a->kid : &a->pr) = 1;
      continue;
    }
    if (!strcmp(f, "--bpd") || !strcmp(f, "--fid") || !strcmp(f, "--unconditional")) {
      *(f[2] == 'b' ? &a->bpd : f[2] == 'f' ? &a->fid : &a->b.unconditional) = 1;
      continue;
    }
    const char *val = NULL;
    int took = flag_value(argc, argv, &i, "--sampler --schedule --keep-samples --steps --class --sample-batch --guidance "
                          "--samples --ref --features --split --t-samples --n --is-splits --batch --seed", &val);
    if (took < 0) return VDMC_ERR_INPUT;
    if (took == 0) return flag_unknown(f, "eval");
    int s = parse_sampling(a, f, val);
    if (s) {
      rc = s < 0 ? VDMC_ERR_INPUT : VDMC_OK;
    } else if (!strcmp(f, "--samples") || !strcmp(f, "--ref") || !strcmp(f, "--features")) {
      if (!val) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", f);
      *(f[2] == 's' ? &a->samples : f[2] == 'r' ? &a->ref : &a->features) = val;
    } else if (!strcmp(f, "--split")) {
      if (!val) return vdmc_fail(VDMC_ERR_INPUT, "--split: missing value");
      a->b.split = val;
    } else if (!strcmp(f, "--t-samples")) {
      if (!(rc = flag_int(f, val, 1, 1 << 20, &v))) a->b.t_samples = (int)v;
    } else if (!strcmp(f, "--n")) {
      rc = flag_int(f, val, 1, LLONG_MAX, &a->b.n);
    } else if (!strcmp(f, "--is-splits")) {
      rc = flag_int(f, val, 1, 1000000, &a->is_splits);
    } else if (!strcmp(f, "--batch")) {
      if (!(rc = flag_int(f, val, 1, 1 << 20, &v))) a->b.batch = (int)v;
    } else if (!strcmp(f, "--seed")) {
      if (!(rc = flag_int(f, val, 0, LLONG_MAX, &v))) a->b.seed = (uint64_t)v;
    } else {
      return flag_unknown(f, "eval");
    }
  }
  return rc ? rc : check_args(a);
}

static void print_fid(const EvalArgs *a, const FidResult *f, const char *what) {
  printf("FID of %s against %s (%lld images), %zu features of %s:\n"
         "  fid              %.10g\n"
         "  inception score  %.9f +- %.9f  (%d splits)\n",
         what, a->ref, (long long)f->n_reference, f->d, a->features, f->fid, f->is_mean, f->is_std, f->is_splits);
  if (f->accuracy >= 0) printf("  accuracy         %.4f  (feature network's class vs the samples' labels)\n", f->accuracy);
  if (f->has_kid)
    printf("  kid              %.6g +- %.3g  (%d subsets of %zu)\n", f->kid.mean, f->kid.std, f->kid.subsets,
           f->kid.subset_size);
  if (f->has_pr) printf("  precision        %.4f\n  recall           %.4f  (k = %d)\n", f->pr.precision, f->pr.recall, f->pr.k);
  printf("  |mu1-mu2|^2 %.6g  Tr S1 %.6g  Tr S2 %.6g  Tr sqrt %.6g  (grid %dx%d)\n", f->parts.mean_term,
         f->parts.trace1, f->parts.trace2, f->parts.trace_sqrt, f->parts.nprow, f->parts.npcol);
}

// --fid --n: draw the samples (vdmc sample's split and keys) and evaluate them in memory.
static int fid_generated(EvalArgs *a, FidSetup *s, const VdmcComm *c, FidResult *f) {
  CkptModel m;
  double t0 = progress_now();
  int rc = ckpt_model_load(&m, a->b.path, sample_model_batch(&a->r, c->size), c->comm);
  if (!rc) rc = sample_request_resolve(&a->r, &m.run);
  if (!rc)
    rc = fid_evaluate_generated(s, &m.run, ckpt_model_denoiser(&m), &a->r, a->keep, (int)a->is_splits, c->comm, f);
  if (!rc && c->rank == 0) {
    char what[5000];
    snprintf(what, sizeof what,
             "%lld samples of %s step %lld (sampler %s, schedule %s, %lld steps, guidance %g, seed %lld; %.2f s on %d "
             "rank(s))%s%s",
             a->r.n, m.run.file, (long long)m.run.step, a->r.sampler, a->r.schedule ? a->r.schedule : "default", a->r.steps,
             a->r.guidance, a->r.seed, progress_now() - t0, c->size, a->keep ? " -> " : "", a->keep ? a->keep : "");
    print_fid(a, f, what);
  }
  ckpt_model_free(&m);
  return rc;
}

static int run_fid(EvalArgs *a, const VdmcComm *c) {
  if (!a->is_splits) a->is_splits = FEATURES_IS_SPLITS;
  FidSetup s;
  FidResult f;
  int rc = fid_setup_open(&s, a->ref, a->features);
  rc = mpi_agree(c->comm, rc);
  if (rc) return rc;
  s.kid = a->kid;
  s.pr = a->pr;
  if (!a->samples) {
    rc = fid_generated(a, &s, c, &f);
  } else {
    FeatureSummary sum;
    memset(&sum, 0, sizeof sum);
    rc = features_summarize(&s.net, a->samples, (int)a->is_splits, fid_setup_keep(&s, LLONG_MAX), c->comm, &sum);
    if (!rc) rc = fid_setup_result(&s, &sum, c->comm, &f);
    fid_stats_free(&sum.stats);
    if (!rc && c->rank == 0) {
      char what[1200];
      snprintf(what, sizeof what, "%s (%lld samples)", a->samples, (long long)f.n_samples);
      print_fid(a, &f, what);
    }
  }
  fid_setup_free(&s);
  return rc;
}

static int run(void *args, const VdmcComm *c) {
  EvalArgs *a = args;
  BpdResult res;
  int rc = VDMC_OK;
  if (a->bpd) rc = bpd_eval_run(&a->b, c, &res);
  if (!rc && a->bpd && c->rank == 0) bpd_eval_print(stdout, &a->b, &res);
  if (!rc && a->fid) rc = run_fid(a, c);
  return rc;
}

static const MpiCommand EVAL = {"eval", usage, 0, parse_args, run};

int cmd_eval(int argc, char **argv) {
  EvalArgs a;
  return mpi_command_run(&EVAL, &a, argc, argv);
}
