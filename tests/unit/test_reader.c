// The sharded reader under any number of ranks (ctest runs it with 1; the script
// tests/cli/reader_mpi.sh with mpirun -n 1, 2, 3 and compares the printed digests):
// over an epoch the union of indices read is a permutation of the dataset, the same
// for every P, no index read twice in an epoch; images and labels read equal what was
// written (with the predicted flips); prefetch on/off and resume give the same batches;
// ranks with nothing to read still work.
#include "io_test_util.h"

#include <mpi.h>

#include "check.h"
#include "core/pixels.h"
#include "io/h5_check.h"
#include "io/reader.h"

static int rank, nprocs;

typedef struct {
  const char *path;
  size_t n, batch, steps;
  int flip, prefetch;
  uint64_t first_step;
} Case;

// Runs the reader over `steps` steps, checks every local example against the data
// generator and the pure order/flip functions, and gathers the global slot sequence
// of dataset indices (and flips) on rank 0 into seq / flips (steps * batch entries).
static void run_case(const Case *c, uint64_t *seq, int *flips) {
  ReaderConfig cfg = {c->path, MPI_COMM_WORLD, c->batch, 1234, c->flip, c->prefetch};
  Reader *r = NULL;
  int st = reader_open(&r, &cfg, c->first_step);
  CHECK(st == VDMC_OK, "reader_open: %s", vdmc_error_message());
  if (st) return;
  const Dataset *ds = reader_dataset(r);
  size_t b = reader_local_batch(r), lo = reader_first_slot(r), ex = ds->h * ds->w * ds->c;
  float *img = malloc((b ? b : 1) * ex * sizeof *img);
  int32_t *lab = malloc((b ? b : 1) * sizeof *lab);
  uint64_t *mine = malloc((b ? b : 1) * sizeof *mine);
  int *myflip = malloc((b ? b : 1) * sizeof *myflip);
  int *counts = malloc(nprocs * sizeof *counts), *displs = malloc(nprocs * sizeof *displs);
  for (int p = 0; p < nprocs; p++) {
    displs[p] = (int)((size_t)p * c->batch / nprocs);
    counts[p] = (int)((size_t)(p + 1) * c->batch / nprocs) - displs[p];
  }
  size_t bad = 0;
  for (size_t s = 0; s < c->steps; s++) {
    uint64_t step = c->first_step + s;
    CHECK(reader_next(r, img, lab) == VDMC_OK, "reader_next step %llu: %s", (unsigned long long)step,
          vdmc_error_message());
    if (s == c->steps / 2) reader_quiesce(r);
    const uint64_t *idx = reader_last_indices(r);
    for (size_t j = 0; j < b; j++) {
      uint64_t g = step * c->batch + lo + j;
      int flip = c->flip && reader_flip(1234, step, lo + j);
      bad += idx[j] != reader_index(1234, c->n, g) || idx[j] >= c->n;
      bad += lab[j] != io_test_label(idx[j], 5);
      for (size_t y = 0; y < ds->h; y++)
        for (size_t x = 0; x < ds->w; x++)
          for (size_t ch = 0; ch < ds->c; ch++) {
            size_t sx = flip ? ds->w - 1 - x : x;
            float want = pixel_to_unit(io_test_pixel(idx[j], (y * ds->w + sx) * ds->c + ch));
            bad += img[j * ex + (y * ds->w + x) * ds->c + ch] != want;
          }
      mine[j] = idx[j];
      myflip[j] = flip;
    }
    MPI_Gatherv(mine, (int)b, MPI_UINT64_T, seq + s * c->batch, counts, displs, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    MPI_Gatherv(myflip, (int)b, MPI_INT, flips + s * c->batch, counts, displs, MPI_INT, 0, MPI_COMM_WORLD);
  }
  CHECK(bad == 0, "rank %d: indices, labels and pixels as written (%zu mismatches)", rank, bad);
  reader_close(r);
  free(img), free(lab), free(mine), free(myflip), free(counts), free(displs);
}

// Rank 0: every epoch (n consecutive slots starting at a multiple of n) read each index once.
static void check_epochs(const uint64_t *seq, size_t slots, size_t n, const char *what) {
  if (rank) return;
  char *seen = malloc(n);
  for (size_t e = 0; (e + 1) * n <= slots; e++) {
    memset(seen, 0, n);
    size_t dup = 0;
    for (size_t i = 0; i < n; i++) dup += seen[seq[e * n + i]]++ != 0;
    CHECK(dup == 0, "%s: epoch %zu is a permutation of [0, %zu) (%zu repeats)", what, e, n, dup);
  }
  free(seen);
}

static uint64_t digest(const uint64_t *seq, const int *flips, size_t m) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < m; i++) h = (h ^ (seq[i] * 2 + (uint64_t)flips[i])) * 1099511628211ull;
  return h;
}

int main(int argc, char **argv) {
  int provided;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
  h5_quiet();
  char tmp[256] = "", big[300], tiny[300];
  if (rank == 0 && io_test_tmpdir(tmp, sizeof tmp, "reader")) tmp[0] = '\0';
  MPI_Bcast(tmp, sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD);
  snprintf(big, sizeof big, "%s/n23.h5", tmp);
  snprintf(tiny, sizeof tiny, "%s/n5.h5", tmp);
  if (rank == 0) {
    CHECK(io_test_write_dataset(big, 23, 3, 4, 2, 5) == VDMC_OK, "write n23: %s", vdmc_error_message());
    CHECK(io_test_write_dataset(tiny, 5, 2, 2, 1, 5) == VDMC_OK, "write n5: %s", vdmc_error_message());
  }
  MPI_Barrier(MPI_COMM_WORLD);

  // 10 steps of 7 = 70 slots: epochs 0..2 of 23 (batches straddle epochs) + 1 slot.
  enum { STEPS = 10, B = 7, SLOTS = STEPS * B };
  uint64_t seq[SLOTS], seq_sync[SLOTS], seq_resume[SLOTS];
  int flips[SLOTS], flips_sync[SLOTS], flips_resume[SLOTS];
  Case base = {big, 23, B, STEPS, 1, 1, 0};
  run_case(&base, seq, flips);
  check_epochs(seq, SLOTS, 23, "n=23 B=7 prefetch");
  Case sync = base;
  sync.prefetch = 0;
  run_case(&sync, seq_sync, flips_sync);
  Case resume = base;
  resume.first_step = 4;
  resume.steps = STEPS - 4;
  run_case(&resume, seq_resume, flips_resume);
  if (rank == 0) {
    CHECK(!memcmp(seq, seq_sync, sizeof seq) && !memcmp(flips, flips_sync, sizeof flips), "prefetch on = off");
    CHECK(!memcmp(seq + 4 * B, seq_resume, (SLOTS - 4 * B) * sizeof *seq) &&
              !memcmp(flips + 4 * B, flips_resume, (SLOTS - 4 * B) * sizeof *flips),
          "resume at step 4 continues the same order");
    size_t same = 0, moved = 0, flipped = 0;
    for (size_t i = 0; i < 23; i++) same += seq[i] == seq[23 + i], moved += seq[i] != i;
    for (size_t i = 0; i < SLOTS; i++) flipped += (size_t)flips[i];
    CHECK(same < 12 && moved > 12, "epochs are shuffled and differ (%zu equal slots, %zu moved)", same, moved);
    CHECK(flipped > SLOTS / 4 && flipped < 3 * SLOTS / 4, "about half flipped: %zu of %d", flipped, SLOTS);
  }
  // N = 5 < B = 7: a batch holds the same example twice (from two epochs); B = 2 with
  // P = 3 leaves rank 0 with nothing to read.
  uint64_t tseq[4 * 7];
  int tflips[4 * 7];
  Case small = {tiny, 5, 7, 4, 0, 1, 0};
  run_case(&small, tseq, tflips);
  check_epochs(tseq, 4 * 7, 5, "n=5 B=7");
  Case two = {tiny, 5, 2, 5, 1, 1, 0};
  run_case(&two, tseq, tflips);
  check_epochs(tseq, 10, 5, "n=5 B=2");

  // A bad path fails on every rank with the file named, nothing hangs.
  char missing[300];
  snprintf(missing, sizeof missing, "%s/missing.h5", tmp);
  ReaderConfig bad = {missing, MPI_COMM_WORLD, 4, 1, 0, 1};
  Reader *r = NULL;
  CHECK(reader_open(&r, &bad, 0) == VDMC_ERR_IO && r == NULL && strstr(vdmc_error_message(), missing),
        "missing file: %s", vdmc_error_message());
  if (rank == 0) {
    // The cli script compares this line across P = 1, 2, 3.
    printf("order digest: %016llx %016llx\n", (unsigned long long)digest(seq, flips, SLOTS),
           (unsigned long long)digest(tseq, tflips, 10));
    io_test_rmdir(tmp);
  }
  int failed = check_finish("reader");
  int any = 0;
  MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any ? 1 : 0;
}
