// The feature summary of a dataset file, ranks taking contiguous examples (features.h).
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "eval/features.h"
#include "io/dataset.h"
#include "mpi/comm.h"

// This rank's examples [first, last) in batches of the network's size.
static int feed(FeatureAccum *a, Dataset *ds, size_t first, size_t last, int use_labels) {
  FeatureNet *f = a->net;
  size_t ex = ds->h * ds->w * ds->c;
  uint8_t *raw = malloc((size_t)f->max_batch * ex);
  int32_t *labels = malloc((size_t)f->max_batch * sizeof *labels);
  int st = raw && labels ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "features: out of memory");
  for (size_t at = first; at < last && !st; at += (size_t)f->max_batch) {
    int b = (int)(last - at < (size_t)f->max_batch ? last - at : (size_t)f->max_batch);
    st = dataset_read_range(ds, at, (size_t)b, raw, labels);
    if (!st)
      st = feature_accum_add(a, raw, use_labels ? labels : NULL, (long long)at, b, (int)ds->h, (int)ds->w,
                             (int)ds->c);
  }
  free(raw);
  free(labels);
  if (st && !a->status) a->status = st;  // feature_accum_finish reports it to every rank
  return st;
}

int features_summarize(FeatureNet *f, const char *dataset_path, int is_splits, long long keep, MPI_Comm comm,
                       FeatureSummary *out) {
  memset(out, 0, sizeof *out);
  Dataset ds;
  int rank, P;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &P));
  int st = dataset_open(&ds, dataset_path, comm);
  if (st) return st;
  FeatureAccum a;
  memset(&a, 0, sizeof a);
  // the same checks on every rank, so all of them stop together
  st = features_check_input(f, (int)ds.h, (int)ds.w, (int)ds.c, dataset_path);
  if (!st) st = feature_accum_init(&a, f, (long long)ds.n, is_splits);
  if (!st) a.status = feature_accum_keep(&a, keep < (long long)ds.n ? keep : (long long)ds.n);  // finish tells all
  if (!st) {
    size_t first = ds.n * (size_t)rank / (size_t)P, last = ds.n * (size_t)(rank + 1) / (size_t)P;
    feed(&a, &ds, first, last, ds.num_classes == f->K);
    st = feature_accum_finish(&a, comm, out);
  }
  if (!st) snprintf(out->stats.source, sizeof out->stats.source, "%s", dataset_path);
  feature_accum_free(&a);
  dataset_close(&ds);
  return st;
}
