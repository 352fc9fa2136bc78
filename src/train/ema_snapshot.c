#define _POSIX_C_SOURCE 200809L  // opendir
#include "train/ema_snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

void ema_snapshot_array_name(int k, char out[CHECKPOINT_NAME_LEN]) {
  snprintf(out, CHECKPOINT_NAME_LEN, "ema_power_%d", k);
}

void ema_snapshot_path(const char *run_dir, int64_t images, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s/power-ema-%012lld.h5", run_dir, EMA_SNAPSHOT_DIR, (long long)images);
}

int ema_snapshot_write(const char *run_dir, const CheckpointState *st, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  char dir[4200], path[4300];
  snprintf(dir, sizeof dir, "%s/%s", run_dir, EMA_SNAPSHOT_DIR);
  ema_snapshot_path(run_dir, st->images_seen, path, sizeof path);
  int rc = mpi_agree(comm, rank == 0 ? fs_mkdir_p(dir) : VDMC_OK);
  return rc ? rc : checkpoint_write_output(path, st, comm);
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
