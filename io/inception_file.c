// The FID Inception-v3 weights file (inception_file.h): every tensor read from its
// HDF5 dataset, shape-checked, and handed to inception_init.
#include "io/inception_file.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/h5_attr.h"
#include "io/small_h5.h"

static const char *HINT =
    "convert pytorch-fid's pt_inception-2015-12-05-6726825d.pth with jobs/convert_fid_inception.py "
    "(docs/fid.md)";

static int fetch_h5(void *ctx, int i, const char *name, int ndim, const size_t *shape, float *dst) {
  (void)i;
  SmallH5 *f = ctx;
  size_t got[4] = {0};
  void *data = NULL;
  int st = small_h5_read(f, name, H5T_NATIVE_FLOAT, sizeof(float), ndim, got, &data);
  if (st) return vdmc_fail(st, "%s; %s", vdmc_error_message(), HINT);
  char want_s[64] = "", got_s[64] = "";
  int bad = 0;
  size_t numel = 1;
  for (int k = 0; k < ndim; k++) {
    numel *= shape[k];
    bad |= got[k] != shape[k];
    size_t lw = strlen(want_s), lg = strlen(got_s);
    snprintf(want_s + lw, sizeof want_s - lw, "%s%zu", k ? "," : "", shape[k]);
    snprintf(got_s + lg, sizeof got_s - lg, "%s%zu", k ? "," : "", got[k]);
  }
  if (bad) st = vdmc_fail(VDMC_ERR_IO, "%s: /%s has shape (%s), expected (%s); %s", f->path, name, got_s, want_s, HINT);
  else memcpy(dst, data, numel * sizeof(float));
  free(data);
  return st;
}

int inception_load(const char *weights_h5, int max_batch, Inception *net, uint32_t *crc) {
  memset(net, 0, sizeof *net);
  if (!weights_h5 || !*weights_h5)
    return vdmc_fail(VDMC_ERR_INPUT, "inception: no weights file given; %s", HINT);
  SmallH5 f;
  int st = small_h5_open(&f, weights_h5, INCEPTION_KIND, INCEPTION_FORMAT_VERSION, HINT);
  if (st) return st;
  st = inception_init(net, max_batch, fetch_h5, &f, crc);
  long long stored = -1;
  if (!st && H5Aexists(f.file, "weights_crc32") > 0 &&
      !(st = h5_attr_read_int(f.file, "weights_crc32", &stored, weights_h5, HINT)) && (uint32_t)stored != *crc)
    st = vdmc_fail(VDMC_ERR_IO, "%s: weights CRC32 %08x does not match the stored weights_crc32 %08x (corrupted?); %s",
                   weights_h5, (unsigned)*crc, (unsigned)stored, HINT);
  small_h5_close(&f);
  if (st) inception_free(net);
  return st;
}
