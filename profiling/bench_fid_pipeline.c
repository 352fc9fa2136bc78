// FID pipeline time for N samples with the classifier feature backend: feature
// extraction + statistics (float64 mean/covariance, split Inception Score, MPI
// reduction) + Fréchet distance, against the baseline "forward alone" (the same
// features_forward calls on the same batches, results discarded), in the same run.
// Ratio = pipeline / forward: what the statistics and the distance add to the network.
//   usage: [mpirun -n P] bench_fid_pipeline [N (10000)] [H (28)] [C (1)] [width (16)] [repeats (5)]
// Images are uint8 noise keyed by global index (no file I/O); the classifier has
// random weights (the cost does not depend on them). Threads: OPENBLAS_NUM_THREADS.
#define _POSIX_C_SOURCE 200809L
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_times.h"
#include "core/status.h"
#include "eval/features.h"
#include "eval/fid.h"
#include "models/classifier.h"

static void die(const char *what) {
  fprintf(stderr, "bench_fid_pipeline: %s: %s\n", what, vdmc_error_message());
  MPI_Abort(MPI_COMM_WORLD, 1);
}

// Example i's bytes: a 32-bit integer hash (murmur3 finalizer) of (i, position).
static void fill_images(uint8_t *img, long long first, int B, size_t ex) {
  for (int b = 0; b < B; b++)
    for (size_t k = 0; k < ex; k++) {
      uint32_t h = (uint32_t)((first + b) * 2654435761u) ^ (uint32_t)(k * 40503u);
      h ^= h >> 16, h *= 0x85ebca6bu, h ^= h >> 13, h *= 0xc2b2ae35u, h ^= h >> 16;
      img[(size_t)b * ex + k] = (uint8_t)h;
    }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, P;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  long long N = argc > 1 ? atoll(argv[1]) : 10000;
  int H = argc > 2 ? atoi(argv[2]) : 28, C = argc > 3 ? atoi(argv[3]) : 1, width = argc > 4 ? atoi(argv[4]) : 16;
  int reps = argc > 5 ? atoi(argv[5]) : 5;
  if (N < 10 || H < 4 || H % 4 || C < 1 || width < 1 || reps < 1 || reps > 50) {
    if (!rank) fprintf(stderr, "usage: bench_fid_pipeline [N >= 10] [H %% 4 == 0] [C] [width] [repeats 1..50]\n");
    MPI_Finalize();
    return 2;
  }
  ClassifierConfig cfg = {H, H, C, 10, width};
  Classifier net;
  if (classifier_create(&net, &cfg, FEATURES_BATCH)) die("classifier");
  float *params = vdmc_alloc_floats(classifier_param_floats(&net));
  if (!params) die("params");
  classifier_init_params(&net, params, 1);
  FeatureNet f;
  if (features_from_classifier(&f, &net, params, classifier_params_crc32(&net, params), "random classifier"))
    die("features");
  size_t ex = (size_t)H * H * C;
  long long lo = N * rank / P, hi = N * (rank + 1) / P;
  uint8_t *img = malloc((size_t)(hi - lo) * ex);
  float *feat = malloc((size_t)FEATURES_BATCH * f.F * sizeof(float));
  float *logits = malloc((size_t)FEATURES_BATCH * f.K * sizeof(float));
  if (!img || !feat || !logits) die("memory");
  fill_images(img, lo, (int)(hi - lo), ex);
  double tf[50], tp[50], ta[50], td[50], fd = 0, is = 0;
  for (int r = 0; r < reps; r++) {  // alternate, so both see the same machine load
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long long at = lo; at < hi; at += FEATURES_BATCH) {
      int b = (int)(hi - at < FEATURES_BATCH ? hi - at : FEATURES_BATCH);
      if (features_forward(&f, img + (size_t)(at - lo) * ex, b, H, H, C, feat, logits)) die("forward");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    tf[r] = MPI_Wtime() - t0;

    t0 = MPI_Wtime();
    FeatureAccum a;
    FeatureSummary s;
    if (feature_accum_init(&a, &f, N, FEATURES_IS_SPLITS)) die("accum");
    for (long long at = lo; at < hi; at += FEATURES_BATCH) {
      int b = (int)(hi - at < FEATURES_BATCH ? hi - at : FEATURES_BATCH);
      if (feature_accum_add(&a, img + (size_t)(at - lo) * ex, NULL, at, b, H, H, C)) die("add");
    }
    if (feature_accum_finish(&a, MPI_COMM_WORLD, &s)) die("finish");
    double t1 = MPI_Wtime();
    FidDistance dist;  // against the same statistics with the mean moved: fd = d * 0.01^2
    double mu2[1024];
    for (size_t j = 0; j < s.stats.d && j < 1024; j++) mu2[j] = s.stats.mu[j] + 0.01;
    if (s.stats.d > 1024 ||
        fid_distance(s.stats.mu, s.stats.sigma, mu2, s.stats.sigma, s.stats.d, MPI_COMM_WORLD, &dist))
      die("distance");
    double t2 = MPI_Wtime();
    tp[r] = t2 - t0;
    ta[r] = t1 - t0;
    td[r] = t2 - t1;
    fd = dist.fd;
    is = s.is_mean;
    fid_stats_free(&s.stats);
    feature_accum_free(&a);
  }
  bench_times_sort(tf, reps);
  bench_times_sort(tp, reps);
  bench_times_sort(ta, reps);
  bench_times_sort(td, reps);
  if (rank == 0) {
    const char *th = getenv("OPENBLAS_NUM_THREADS");
    int m = reps / 2;
    printf("bench_fid_pipeline N=%lld %dx%dx%d classifier width %d (F=%d, K=%d, %zu params), P=%d, "
           "OPENBLAS_NUM_THREADS=%s, median of %d\n",
           N, H, H, C, width, f.F, f.K, classifier_param_floats(&net), P, th ? th : "(unset)", reps);
    printf("  baseline: forward alone          : %8.3f s  (%.0f img/s)\n", tf[m], N / tf[m]);
    printf("  pipeline: forward + stats + IS   : %8.3f s\n", ta[m]);
    printf("            Frechet distance (d=%d) : %8.4f s  (fd %.4g, IS %.4f)\n", f.F, td[m], fd, is);
    printf("            total                  : %8.3f s  (%.0f img/s)\n", tp[m], N / tp[m]);
    printf("  ratio pipeline / forward alone   : %8.3fx  (fastest runs: %.3f s / %.3f s = %.3fx)\n", tp[m] / tf[m],
           tp[0], tf[0], tp[0] / tf[0]);
  }
  free(img);
  free(feat);
  free(logits);
  features_free(&f);
  vdmc_free_floats(params);
  classifier_free(&net);
  MPI_Finalize();
  return 0;
}
