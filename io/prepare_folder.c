#include "core/status.h"
#include "io/prepare.h"
int prepare_folder(const char *src_dir, size_t size, const char *out_dir) {
  return vdmc_fail(VDMC_ERR_INTERNAL, "prepare folder: not implemented yet");
}
