// Forcing a kernel path for tests and benchmarks (ops/kernel_path.h).
#include "ops/kernel_path.h"

int kernel_path_now(const KernelPath *k, int best, int count) {
  return k->forced == count ? best : k->forced;
}

int kernel_path_force(KernelPath *k, int path, int best, int count) {
  if (path < 0 || path > count || (path != count && path > best)) return -1;
  k->forced = path;
  return 0;
}

const char *kernel_path_name(const char *const *names, int count, int path) {
  return path >= 0 && path < count ? names[path] : "best";
}
