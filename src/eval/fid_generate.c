// Generated samples straight into the feature statistics (fid_generate.h).
#include "eval/fid_generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

typedef struct {
  FeatureAccum *acc;
  SampleRows *keep;  // NULL: not kept
  int H, W, C;
  int use_labels;    // the model's classes are the network's: accuracy of the drawn class
} FidSink;

static int fid_sink(void *ctx, const uint8_t *images, const int32_t *labels, long long first, int count) {
  FidSink *s = ctx;
  if (s->keep) sample_rows_sink(s->keep, images, labels, first, count);
  return feature_accum_add(s->acc, images, s->use_labels ? labels : NULL, first, count, s->H, s->W, s->C);
}

int fid_evaluate_generated(FidSetup *s, const Run *run, Denoiser den, const SampleRequest *r, const char *keep_h5,
                           int is_splits, MPI_Comm comm, FidResult *out) {
  memset(out, 0, sizeof *out);
  int rank, P;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &P));
  FeatureNet *net = &s->net;
  const UNetConfig *u = &run->net.cfg;
  FidSink sink = {NULL, NULL, u->resolution, u->resolution, u->in_channels, u->num_classes == net->K};
  size_t D = (size_t)sink.H * sink.W * sink.C;
  long long lo, hi;
  sample_rank_range(r->n, rank, P, &lo, &hi);
  char source[4200];
  snprintf(source, sizeof source, "samples of %s", run->file);
  FeatureAccum acc;
  memset(&acc, 0, sizeof acc);
  SampleRows keep = {NULL, NULL, lo, D};
  // the same checks on every rank: all stop together without a collective
  int st = features_check_input(net, sink.H, sink.W, sink.C, source);
  if (!st) st = feature_accum_init(&acc, net, r->n, is_splits);
  if (st) return st;
  st = feature_accum_keep(&acc, fid_setup_keep(s, r->n));  // agreed after the sampling
  if (keep_h5) {
    keep.images = malloc((size_t)(hi - lo + 1) * D);
    keep.labels = malloc((size_t)(hi - lo + 1) * sizeof(int32_t));
    if (!keep.images || !keep.labels) st = vdmc_fail(VDMC_ERR_MEMORY, "--keep-samples: out of memory for %lld samples", hi - lo);
  }
  sink.acc = &acc;
  sink.keep = keep_h5 ? &keep : NULL;
  if (!st)
    st = sample_generate_range(r, run, den, P, lo, hi, rank == 0 ? "fid: sample (rank 0)" : NULL, fid_sink, &sink);
  st = mpi_agree(comm, st);
  if (!st && keep_h5) st = sample_write_h5(keep_h5, r, run, keep.images, keep.labels, lo, hi, comm);
  FeatureSummary sum;
  memset(&sum, 0, sizeof sum);
  if (!st) st = feature_accum_finish(&acc, comm, &sum);
  if (!st) st = fid_setup_result(s, &sum, comm, out);
  fid_stats_free(&sum.stats);
  feature_accum_free(&acc);
  free(keep.images);
  free(keep.labels);
  return st;
}
