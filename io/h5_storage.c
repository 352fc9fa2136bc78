#include "io/h5_storage.h"

#include <stdint.h>

#include "core/status.h"
#include "io/h5_check.h"

// DEFLATE cannot compress better than about 1032:1; other filters vdmc meets do worse.
#define H5_STORAGE_MAX_RATIO 1032

int h5_check_storage(hid_t dset, const char *file, const char *name) {
  int status = VDMC_OK;
  hid_t space = H5I_INVALID_HID, type = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  H5_CHECK(space = H5Dget_space(dset), "%s: %s: dataspace", file, name);
  H5_CHECK(type = H5Dget_type(dset), "%s: %s: datatype", file, name);
  H5_CHECK(dcpl = H5Dget_create_plist(dset), "%s: %s: creation properties", file, name);
  hssize_t n = H5Sget_simple_extent_npoints(space);
  H5_CHECK(n, "%s: %s: element count", file, name);
  size_t elem = H5Tget_size(type);
  hsize_t stored = H5Dget_storage_size(dset);
  int filtered = H5Pget_nfilters(dcpl) > 0;
  uint64_t need = elem ? (uint64_t)n * elem : 0;
  if (elem == 0 || (uint64_t)n > UINT64_MAX / elem) need = UINT64_MAX;
  if (filtered) need = need / H5_STORAGE_MAX_RATIO + (need > 0);
  if (stored < need)
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s declares %lld elements (%llu bytes) but the file stores only %llu bytes "
                       "for it (unwritten or truncated data)", file, name, (long long)n,
                       (unsigned long long)((uint64_t)n * elem), (unsigned long long)stored);
cleanup:
  h5_close_id(dcpl);
  h5_close_id(type);
  h5_close_id(space);
  return status;
}
