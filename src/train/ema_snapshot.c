#define _POSIX_C_SOURCE 200809L  // opendir
#include "train/ema_snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/output_file.h"
#include "core/status.h"

void ema_snapshot_array_name(int k, char out[CHECKPOINT_NAME_LEN]) {
  snprintf(out, CHECKPOINT_NAME_LEN, "ema_power_%d", k);
}

void ema_snapshot_path(const char *run_dir, int64_t images, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s/power-ema-%012lld.h5", run_dir, EMA_SNAPSHOT_DIR, (long long)images);
}

// Rank 0's status and message on every rank.
static int bcast_status(MPI_Comm comm, int rank, int status) {
  char msg[1024] = "";
  if (rank == 0 && status) snprintf(msg, sizeof msg, "%s", vdmc_error_message());
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (!status) return VDMC_OK;
  MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm);
  return rank == 0 ? status : vdmc_fail(status, "%s", msg);
}

int ema_snapshot_write(const char *run_dir, const CheckpointState *st, MPI_Comm comm) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  char dir[4200], path[4300];
  snprintf(dir, sizeof dir, "%s/%s", run_dir, EMA_SNAPSHOT_DIR);
  ema_snapshot_path(run_dir, st->images_seen, path, sizeof path);
  OutputFile out = {0};
  int rc = VDMC_OK;
  if (rank == 0 && !(rc = fs_mkdir_p(dir))) rc = output_file_begin(&out, path);
  if ((rc = bcast_status(comm, rank, rc))) return rc;
  MPI_Bcast(out.tmp_path, sizeof out.tmp_path, MPI_CHAR, 0, comm);  // rank 0's name (its pid)
  rc = checkpoint_write_file(out.tmp_path, st, comm);
  if (rank == 0) rc = output_file_end(&out, rc);  // renames, or removes the temporary
  return bcast_status(comm, rank, rc);
}

static int by_images(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int ema_snapshot_list(const char *run_dir, int64_t **images, char (**paths)[4096], int *n) {
  *images = NULL;
  *paths = NULL;
  *n = 0;
  char dir[4200];
  snprintf(dir, sizeof dir, "%s/%s", run_dir, EMA_SNAPSHOT_DIR);
  DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) return VDMC_OK;
    return vdmc_fail(VDMC_ERR_IO, "%s: cannot list the post-hoc EMA snapshots: %s", dir, strerror(errno));
  }
  int64_t *found = NULL;
  int cap = 0, rc = VDMC_OK;
  for (struct dirent *e; (e = readdir(d));) {
    long long v;
    int used = 0;
    if (sscanf(e->d_name, "power-ema-%12lld.h5%n", &v, &used) != 1 || used == 0 || e->d_name[used] ||
        strlen(e->d_name) != strlen("power-ema-000000000000.h5") || v < 0)
      continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 64;
      int64_t *g = realloc(found, (size_t)cap * sizeof *g);
      if (!g) {
        rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory listing %s", dir);
        break;
      }
      found = g;
    }
    found[(*n)++] = v;
  }
  closedir(d);
  if (!rc && *n) {
    qsort(found, (size_t)*n, sizeof *found, by_images);
    if (!(*paths = malloc((size_t)*n * sizeof **paths))) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory listing %s", dir);
    for (int i = 0; !rc && i < *n; i++) ema_snapshot_path(run_dir, found[i], (*paths)[i], sizeof **paths);
  }
  if (rc) {
    free(found);
    free(*paths);
    *paths = NULL;
    *n = 0;
    return rc;
  }
  *images = found;
  return VDMC_OK;
}
