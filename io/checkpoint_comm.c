// Slice-independent CRC32 checksums for checkpoints, and the check that ranks agree on the table.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

uint32_t ckpt_crc_update(uint32_t crc, const void *data, size_t bytes) {
  return (uint32_t)crc32_z(crc, data, bytes);
}

static int compare_offset(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

int ckpt_crc_global(MPI_Comm comm, const void *slice, size_t offset, size_t bytes,
                    size_t total_bytes, const char *what, uint32_t *crc) {
  int size;
  MPI_TRY(MPI_Comm_size(comm, &size));
  uint64_t mine[3] = {offset, bytes, ckpt_crc_update(0, slice, bytes)};
  uint64_t *all = malloc((size_t)size * sizeof mine);
  if (!all) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory gathering checksums");
  int status = VDMC_OK;
  MPI_CHECK(MPI_Allgather(mine, 3, MPI_UINT64_T, all, 3, MPI_UINT64_T, comm), "checkpoint: MPI_Allgather");
  qsort(all, (size_t)size, sizeof mine, compare_offset);
  uLong combined = 0;
  uint64_t end = 0;
  for (int r = 0; r < size; r++) {
    const uint64_t *s = all + 3 * r;
    if (s[1] == 0) continue;
    if (s[0] != end) {
      status = vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint %s: rank slices %s at byte %llu (expected %llu): "
                         "the slices of all ranks must tile the array", what,
                         s[0] > end ? "leave a gap" : "overlap", (unsigned long long)s[0],
                         (unsigned long long)end);
      goto cleanup;
    }
    combined = crc32_combine(combined, (uLong)s[2], (z_off_t)s[1]);
    end += s[1];
  }
  if (end != total_bytes) {
    status = vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint %s: rank slices cover %llu of %zu bytes",
                       what, (unsigned long long)end, total_bytes);
    goto cleanup;
  }
  *crc = (uint32_t)combined;
cleanup:
  free(all);
  return status;
}

int ckpt_check_same_layout(MPI_Comm comm, const CheckpointState *st) {
  // A fingerprint of everything that decides the sequence of collective HDF5 calls.
  uint32_t h = ckpt_crc_update(0, &st->table->total, sizeof st->table->total);
  h = ckpt_crc_update(h, &st->table->count, sizeof st->table->count);
  for (int i = 0; i < st->narrays; i++)
    h = ckpt_crc_update(h, st->arrays[i].name, strlen(st->arrays[i].name) + 1);
  for (int i = 0; i < st->nextras; i++) {
    h = ckpt_crc_update(h, st->extras[i].name, strlen(st->extras[i].name) + 1);
    h = ckpt_crc_update(h, &st->extras[i].n, sizeof st->extras[i].n);
  }
  int status = VDMC_OK;
  unsigned mine[2] = {h, ~h}, lo[2];
  MPI_CHECK(MPI_Allreduce(mine, lo, 2, MPI_UNSIGNED, MPI_MIN, comm), "checkpoint: MPI_Allreduce");
  if (lo[0] != ~lo[1])
    status = vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint: ranks disagree on the tensor table, array names or "
                       "extras (every rank must describe the same state)");
cleanup:
  return status;
}
