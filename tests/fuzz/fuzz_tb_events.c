// TensorBoard event-file target: the input as one file of RUN/tb read as `vdmc train`
// reads the files already there when it starts (tb_scan_file: TFRecord framing, CRCs,
// Event protocol buffers through protobuf-c).
#include <stdint.h>

#include "fuzz_file.h"
#include "io/tb_events.h"

static void on_value(void *ctx, const char *tag, long long step) {
  long long *n = ctx;
  *n += tag[0] != 0 && step >= 0;  // touch what the scan hands out
}
static void on_problem(void *ctx, const char *path, const char *why) {
  (void)ctx;
  (void)path;
  (void)why;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  long long n = 0;
  tb_scan_file(fuzz_file(data, size), on_value, on_problem, &n);
  return 0;
}
