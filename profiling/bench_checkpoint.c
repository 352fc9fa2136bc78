// Checkpoint save/load throughput against a named baseline from the same run:
// rank 0 writing the same bytes with fwrite + fsync (one POSIX stream, no HDF5).
//   mpirun -n P build/profiling/bench_checkpoint [MFLOATS=4] [DIR=/tmp]
// Run with --mca io ompio / --mca io romio321 to compare Open MPI's MPI-IO components.
// It also times the whole-file checksum record alone (rank 0 sealing and verifying the
// last file, io/file_record.h): the part of save and of every load it costs.
// The default config's checkpoint is MFLOATS=0.673 (672,721 parameters).
#define _POSIX_C_SOURCE 200809L  // fsync, fileno, mkdtemp
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/param_table.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/file_record.h"

#define NARRAYS 4

static double posix_baseline(const char *dir, float **arrays, size_t n) {
  char path[1200];
  snprintf(path, sizeof path, "%s/baseline.bin", dir);
  double t0 = MPI_Wtime();
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  for (int k = 0; k < NARRAYS; k++) fwrite(arrays[k], sizeof(float), n, f);
  fflush(f);
  fsync(fileno(f));
  fclose(f);
  double t = MPI_Wtime() - t0;
  unlink(path);
  return t;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  size_t n = (size_t)((argc > 1 ? atof(argv[1]) : 4.0) * 1e6);
  char dir[1024] = "";
  if (rank == 0) {
    snprintf(dir, sizeof dir, "%s/vdmc-bench-ckpt-XXXXXX", argc > 2 ? argv[2] : "/tmp");
    if (!mkdtemp(dir)) dir[0] = '\0';
  }
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (!dir[0]) MPI_Abort(MPI_COMM_WORLD, 1);

  ParamTable t;
  param_table_init(&t);
  size_t shape[1] = {n};
  param_table_add(&t, "all", 1, shape, 1, NULL);
  const char *names[NARRAYS] = {"params", "ema", "adam_m", "adam_v"};
  float *arrays[NARRAYS];
  size_t off, cnt;
  checkpoint_partition(t.total, rank, size, &off, &cnt);
  CheckpointState st, ld;
  checkpoint_state_init(&st, &t);
  checkpoint_state_init(&ld, &t);
  for (int k = 0; k < NARRAYS; k++) {
    arrays[k] = vdmc_alloc_floats(t.total);
    for (size_t i = 0; i < t.total; i++) arrays[k][i] = (float)(i % 1000) * 0.001f + (float)k;
    checkpoint_add_array(&st, names[k], arrays[k] + off, off, cnt);
    checkpoint_add_array(&ld, names[k], arrays[k] + off, off, cnt);  // sharded load
  }
  char config[] = "bench: true\n";
  st.config_text = config;

  double base = 1e30, best_save = 1e30, best_load = 1e30;
  for (int rep = 0; rep < 3; rep++) {
    if (rank == 0) {
      double b = posix_baseline(dir, arrays, t.total);
      if (b < base) base = b;
    }
    st.step = rep;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (checkpoint_save(dir, &st, 1, MPI_COMM_WORLD)) {
      if (rank == 0) fprintf(stderr, "save: %s\n", vdmc_error_message());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double t1 = MPI_Wtime();
    if (checkpoint_load(dir, MPI_COMM_WORLD, &ld)) {
      if (rank == 0) fprintf(stderr, "load: %s\n", vdmc_error_message());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    free(ld.config_text);
    double t2 = MPI_Wtime();
    if (t1 - t0 < best_save) best_save = t1 - t0;
    if (t2 - t1 < best_load) best_load = t2 - t1;
  }
  double best_seal = 1e30, best_verify = 1e30;
  if (rank == 0) {  // the last save's file, already committed: resealing rewrites the same record
    char file[1200];
    snprintf(file, sizeof file, "%s/checkpoints/step-00000002.h5", dir);
    for (int rep = 0; rep < 3; rep++) {
      double t0 = MPI_Wtime();
      int bad = file_record_seal(file, FILE_KIND_CHECKPOINT, FILE_RECORD_BYTES, NULL, 0);
      double t1 = MPI_Wtime();
      bad = bad || file_record_verify(file, FILE_KIND_CHECKPOINT, "");
      double t2 = MPI_Wtime();
      if (bad) {
        fprintf(stderr, "record: %s\n", vdmc_error_message());
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      if (t1 - t0 < best_seal) best_seal = t1 - t0;
      if (t2 - t1 < best_verify) best_verify = t2 - t1;
    }
  }
  double mb = NARRAYS * (double)t.total * sizeof(float) / 1e6;
  if (rank == 0) {
    printf("checkpoint %.1f MB (%d arrays x %zu floats) at %d ranks, best of 3\n", mb, NARRAYS, t.total, size);
    printf("  baseline fwrite+fsync (rank 0): %.3f s  %.0f MB/s\n", base, mb / base);
    printf("  checkpoint_save:                %.3f s  %.0f MB/s  ratio to baseline %.2f\n", best_save,
           mb / best_save, best_save / base);
    printf("  checkpoint_load (sharded):      %.3f s  %.0f MB/s\n", best_load, mb / best_load);
    printf("  of which the checksum record:   seal %.3f s (%.0f%% of save), verify %.3f s (%.0f%% of load), "
           "rank 0 alone\n", best_seal, 100 * best_seal / best_save, best_verify, 100 * best_verify / best_load);
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  }
  for (int k = 0; k < NARRAYS; k++) vdmc_free_floats(arrays[k]);
  param_table_free(&t);
  MPI_Finalize();
  return 0;
}
