// Fréchet distance time: fid_distance (ScaLAPACK pdsyevd + pdgemm on a grid of all
// ranks) vs the same algorithm serially with LAPACK dsyevd + BLAS dgemm on rank 0
// (baseline), in the same run, on two random SPD d x d matrices.
//   usage: [mpirun -n P] bench_fid [d (2048)] [repeats (2)]
// Threads: OPENBLAS_NUM_THREADS applies to both (set 1 for a per-core comparison).
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rng.h"
#include "bench_times.h"
#include "core/status.h"
#include "eval/fid.h"

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
             double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t,
             size_t);

// sigma = A A^T / d + 0.01 I with A (d, d) N(0, 1) from the Philox stream `seed`.
static void random_spd(size_t d, uint64_t seed, double *mu, double *sigma) {
  float *af = malloc(d * d * sizeof *af);
  double *a = malloc(d * d * sizeof *a);
  RngStream s = {.seed = seed, .purpose = RNG_SAMPLE};
  rng_normal(af, d * d, &s, 0);
  for (size_t i = 0; i < d * d; i++) a[i] = af[i];
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)d, (int)d, 1.0 / (double)d, a,
              (int)d, a, (int)d, 0.0, sigma, (int)d);
  for (size_t i = 0; i < d; i++) sigma[i * d + i] += 0.01;
  for (size_t i = 0; i < d; i++) mu[i] = a[i];
  free(af);
  free(a);
}

// LAPACK dsyevd of the symmetric a (d, d) (overwritten by eigenvectors, column-major
// = row-major transpose; the matrix is symmetric so either reading works).
static int eigh_serial(double *a, double *w, int d) {
  int info = 0, lwork = -1, liwork = -1, iq = 0;
  double q = 0;
  dsyevd_("V", "L", &d, a, &d, w, &q, &lwork, &iq, &liwork, &info, 1, 1);
  lwork = (int)q;
  liwork = iq;
  double *work = malloc((size_t)lwork * sizeof *work);
  int *iwork = malloc((size_t)liwork * sizeof *iwork);
  dsyevd_("V", "L", &d, a, &d, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  free(work);
  free(iwork);
  return info;
}

// The same algorithm as fid_distance, serially: Y = Z1 diag(sqrt w1), M = Y^T S2 Y.
static double fd_serial(const double *mu1, const double *s1, const double *mu2, const double *s2,
                        int d) {
  size_t n = (size_t)d * d;
  double *z = malloc(n * sizeof *z), *t = malloc(n * sizeof *t), *m = malloc(n * sizeof *m);
  double *w = malloc((size_t)d * sizeof *w);
  memcpy(z, s1, n * sizeof *z);
  if (eigh_serial(z, w, d)) fprintf(stderr, "bench_fid: dsyevd failed\n");
  // column-major z: eigenvector j is column j = z[j*d .. j*d + d)
  for (int j = 0; j < d; j++) {
    double s = w[j] > 0 ? sqrt(w[j]) : 0;
    for (int i = 0; i < d; i++) z[(size_t)j * d + i] *= s;
  }
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, d, d, 1.0, s2, d, z, d, 0.0, t, d);
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, d, d, d, 1.0, z, d, t, d, 0.0, m, d);
  if (eigh_serial(m, w, d)) fprintf(stderr, "bench_fid: dsyevd failed\n");
  double tr = 0, fd = 0;
  for (int i = 0; i < d; i++) tr += w[i] > 0 ? sqrt(w[i]) : 0;
  for (int i = 0; i < d; i++) fd += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + s1[(size_t)i * d + i] + s2[(size_t)i * d + i];
  free(z);
  free(t);
  free(m);
  free(w);
  return fd - 2 * tr;
}

// A barrier that sleeps instead of spinning: ranks waiting for rank 0's serial
// baseline must not take a core from it (Open MPI's blocking barrier polls).
static void sleepy_barrier(void) {
  MPI_Request req;
  int done = 0;
  MPI_Ibarrier(MPI_COMM_WORLD, &req);
  while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, P;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &P);
  size_t d = argc > 1 ? (size_t)atol(argv[1]) : 2048;
  int reps = argc > 2 ? atoi(argv[2]) : 2;
  if (d < 1 || reps < 1 || reps > 100) {
    if (!rank) fprintf(stderr, "usage: bench_fid [d >= 1] [repeats 1..100]\n");
    MPI_Finalize();
    return 2;
  }
  double *mu1 = malloc(d * sizeof *mu1), *mu2 = malloc(d * sizeof *mu2);
  double *s1 = malloc(d * d * sizeof *s1), *s2 = malloc(d * d * sizeof *s2);
  random_spd(d, 1, mu1, s1);
  random_spd(d, 2, mu2, s2);
  double tp[100], ts[100], fd = 0, fds = 0;
  FidDistance r = {0};
  for (int k = 0; k < reps; k++) {  // alternate, so both see the same machine load
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (fid_distance(mu1, s1, mu2, s2, d, MPI_COMM_WORLD, &r)) {
      fprintf(stderr, "bench_fid: %s\n", vdmc_error_message());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    tp[k] = MPI_Wtime() - t0;
    fd = r.fd;
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = MPI_Wtime();
    if (rank == 0) fds = fd_serial(mu1, s1, mu2, s2, (int)d);
    ts[k] = MPI_Wtime() - t0;
    sleepy_barrier();
  }
  bench_times_sort(tp, reps);
  bench_times_sort(ts, reps);
  if (rank == 0) {
    const char *th = getenv("OPENBLAS_NUM_THREADS");
    printf("bench_fid d=%zu P=%d grid %dx%d block %d, OPENBLAS_NUM_THREADS=%s, median of %d\n", d, P,
           r.nprow, r.npcol, fid_block_size(d, r.nprow, r.npcol), th ? th : "(unset)", reps);
    printf("  ScaLAPACK fid_distance : %8.3f s   fd %.12g\n", tp[reps / 2], fd);
    printf("  serial LAPACK baseline : %8.3f s   fd %.12g (rel diff %.1e)\n", ts[reps / 2], fds,
           fabs(fd - fds) / fabs(fds));
    printf("  speedup vs baseline    : %8.2fx\n", ts[reps / 2] / tp[reps / 2]);
  }
  free(mu1);
  free(mu2);
  free(s1);
  free(s2);
  MPI_Finalize();
  return 0;
}
