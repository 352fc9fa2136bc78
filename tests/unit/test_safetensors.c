// The safetensors writer and reader (io/safetensors.h) and the float narrowings behind
// --dtype (core/half_float.h): round trips, the rounding rules at their edges, JSON
// escaping of metadata, and corrupt files refused with one line naming file and field.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/half_float.h"
#include "core/output_file.h"
#include "core/status.h"
#include "io/safetensors.h"

static char dir[] = "/tmp/vdmc-safetensors-XXXXXX";

static float from_bits(uint32_t x) {
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

static void check_half_floats(void) {
  // every f16 value survives f16 -> f32 -> f16 (NaNs stay NaN)
  int bad = 0;
  for (uint32_t h = 0; h < 65536; h++) {
    uint16_t back;
    float f = f32_from_f16((uint16_t)h);
    int ok = f16_from_f32(f, &back);
    if (isnan(f) ? !(ok && (back & 0x7c00) == 0x7c00 && (back & 0x3ff)) : !(ok && back == h)) bad++;
  }
  CHECK(bad == 0, "f16 round trip: %d of 65536 values differ", bad);
  uint16_t h;
  // ties to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (even: 1)
  CHECK(f16_from_f32(1.0f + ldexpf(1, -11), &h) && h == 0x3c00, "f16 tie to even down: %04x", h);
  CHECK(f16_from_f32(1.0f + 3 * ldexpf(1, -11), &h) && h == 0x3c02, "f16 tie to even up: %04x", h);
  CHECK(f16_from_f32(1.0f + ldexpf(1, -11) + ldexpf(1, -20), &h) && h == 0x3c01, "f16 above the tie: %04x", h);
  // subnormals: 2^-25 ties to 0, 3 * 2^-25 ties to 2 * 2^-24, 2^-24 exact
  CHECK(f16_from_f32(ldexpf(1, -25), &h) && h == 0, "f16 2^-25 -> 0: %04x", h);
  CHECK(f16_from_f32(3 * ldexpf(1, -25), &h) && h == 2, "f16 3*2^-25 -> 2: %04x", h);
  CHECK(f16_from_f32(-ldexpf(1, -24), &h) && h == 0x8001, "f16 -2^-24: %04x", h);
  CHECK(f16_from_f32(ldexpf(1023, -24) + ldexpf(1, -25), &h) && h == 0x0400, "f16 rounds up into the normals: %04x", h);
  // the largest finite value and the overflow threshold 65520
  CHECK(f16_from_f32(65504.0f, &h) && h == 0x7bff, "f16 65504: %04x", h);
  CHECK(f16_from_f32(65519.996f, &h) && h == 0x7bff, "f16 65519.996 rounds down: %04x", h);
  CHECK(!f16_from_f32(65520.0f, &h) && !f16_from_f32(-1e9f, &h), "f16 overflow refused");
  CHECK(f16_from_f32(INFINITY, &h) && h == 0x7c00, "f16 inf stays inf");
  // bf16: round to nearest even on the high 16 bits, NaN stays NaN
  CHECK(bf16_from_f32(from_bits(0x3f808000u)) == 0x3f80, "bf16 tie to even down");
  CHECK(bf16_from_f32(from_bits(0x3f818000u)) == 0x3f82, "bf16 tie to even up");
  CHECK(bf16_from_f32(from_bits(0x3f808001u)) == 0x3f81, "bf16 above the tie");
  CHECK(isnan(f32_from_bf16(bf16_from_f32(from_bits(0x7f800001u)))), "bf16 keeps a NaN whose payload is low bits");
  CHECK(bf16_from_f32(from_bits(0x7f7fffffu)) == 0x7f80, "bf16 FLT_MAX rounds to inf");
  CHECK(f32_from_bf16(bf16_from_f32(-2.5f)) == -2.5f, "bf16 exact value");
}

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void check_round_trip(void) {
  float a[6] = {1.5f, -2.25f, 3.0e-3f, 65504.0f, -7.0e-8f, 1.0f + ldexpf(1, -11)}, b[3] = {0.1f, 0.2f, -0.3f};
  SafetensorsOut t[2] = {{"blk.conv.weight", a, 4, {1, 2, 3, 1}}, {"x \"quoted\" \\ name", b, 1, {3}}};
  SafetensorsMeta meta[2] = {{"config", "model:\n  arch: \"unet\"\t\\ \x01 end"}, {"step", "12"}};
  for (int d = 0; d < ST_DTYPE_COUNT; d++) {
    char path[256];
    path_of(path, sizeof path, "rt.safetensors");
    int rc = safetensors_write(path, t, 2, (SafetensorsDtype)d, meta, 2);
    CHECK(rc == VDMC_OK, "write %s: %s", safetensors_dtype_name(d), vdmc_error_message());
    SafetensorsFile sf;
    if (rc || (rc = safetensors_open(&sf, path))) {
      CHECK(0, "open %s: %s", safetensors_dtype_name(d), vdmc_error_message());
      continue;
    }
    CHECK(sf.data_start % 8 == 0, "header padded to a multiple of 8: %llu", (unsigned long long)sf.data_start);
    CHECK(sf.count == 2 && !strcmp(sf.tensors[1].name, t[1].name), "names kept (escaped quotes and backslash)");
    const char *cfg = safetensors_meta(&sf, "config");
    CHECK(cfg && !strcmp(cfg, meta[0].value), "metadata with newlines, tabs, quotes, control characters: %s", cfg);
    float got[6];
    for (int k = 0; k < 2; k++) {
      const SafetensorsTensor *st = &sf.tensors[k];
      CHECK(st->dtype == (SafetensorsDtype)d && st->ndim == t[k].ndim && !memcmp(st->shape, t[k].shape, t[k].ndim * sizeof(size_t)),
            "tensor %d dtype and shape", k);
      CHECK(safetensors_read_f32(&sf, st, got) == VDMC_OK, "read: %s", vdmc_error_message());
      size_t n = safetensors_numel(st);
      for (size_t i = 0; i < n; i++) {
        float v = t[k].data[i], want = v;
        uint16_t h;
        if (d == ST_BF16) want = f32_from_bf16(bf16_from_f32(v));
        if (d == ST_F16 && f16_from_f32(v, &h)) want = f32_from_f16(h);
        CHECK(!memcmp(&got[i], &want, sizeof want), "%s %s[%zu]: %.9g, want %.9g", safetensors_dtype_name(d),
              t[k].name, i, got[i], want);
      }
    }
    safetensors_close(&sf);
    output_forget_inputs();  // the next dtype replaces the file this process just read
  }
}

// Writes the 8-byte length n (not necessarily the header's), the header and data bytes.
static void write_raw(const char *path, uint64_t n, const char *header, const void *data, size_t data_len) {
  FILE *f = fopen(path, "wb");
  unsigned char len[8];
  for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
  fwrite(len, 1, 8, f);
  fwrite(header, 1, strlen(header), f);
  if (data_len) fwrite(data, 1, data_len, f);
  fclose(f);
}

static void check_corrupt(void) {
  static const struct {
    const char *header;
    size_t data_len;
    long long length_delta;  // added to the true header length
    const char *want;
  } cases[] = {
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, 1000, "header length"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, -30, "unterminated string"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, 0, "expected '\"'"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8, 0, "text after"},
      {"{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, 0, "'I64' is not a dtype"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
       "\"data_offsets\":[4,12]}}", 12, 0, "overlapping"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
       "\"data_offsets\":[8,16]}}", 12, 0, "beyond the 12 data bytes"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, 0, "needs 12"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, 0, "end is before begin"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, 0, "a gap"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, 0, "no \"data_offsets\""},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, 0, "non-negative integer"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],"
       "\"data_offsets\":[8,8]}}", 8, 0, "named twice"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"k\":3}}", 8, 0,
       "must be a string"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, 0, "beyond the 4 data bytes"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, 0, "holds 12 data bytes"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, 0, "more than"},
      {"{\"a\\u0000b\":{}}", 0, 0, "NUL"},
  };
  char path[256];
  path_of(path, sizeof path, "bad.safetensors");
  unsigned char data[16] = {0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    write_raw(path, (uint64_t)((long long)strlen(cases[i].header) + cases[i].length_delta), cases[i].header, data,
              cases[i].data_len);
    SafetensorsFile sf;
    int rc = safetensors_open(&sf, path);
    const char *msg = vdmc_error_message();
    CHECK(rc != VDMC_OK && strstr(msg, path) && strstr(msg, cases[i].want) && !strchr(msg, '\n'),
          "case %zu (%s): rc %d, message: %s", i, cases[i].want, rc, msg);
    if (!rc) safetensors_close(&sf);
    else printf("refused: %s\n", msg);
  }
  // shorter than the length field
  FILE *f = fopen(path, "wb");
  fputs("abc", f);
  fclose(f);
  SafetensorsFile sf;
  CHECK(safetensors_open(&sf, path) != VDMC_OK && strstr(vdmc_error_message(), "fewer than the 8-byte length"),
        "3-byte file: %s", vdmc_error_message());
}

static void check_write_refusals(void) {
  char path[512], cdir[256];
  float big[2] = {1.0f, 70000.0f};
  SafetensorsOut t = {"head.conv.weight", big, 1, {2}};
  path_of(path, sizeof path, "big.safetensors");
  int rc = safetensors_write(path, &t, 1, ST_F16, NULL, 0);
  CHECK(rc == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "'head.conv.weight' does not fit float16"),
        "f16 overflow refused naming the tensor: %s", vdmc_error_message());
  CHECK(access(path, F_OK) != 0, "nothing written after an f16 overflow");
  CHECK(safetensors_write(path, &t, 1, ST_BF16, NULL, 0) == VDMC_OK, "the same tensor as bf16");
  // the output policy: a directory target, and a file inside a run's checkpoints/
  rc = safetensors_write(dir, &t, 1, ST_F32, NULL, 0);
  CHECK(rc != VDMC_OK && strstr(vdmc_error_message(), "directory"), "directory target: %s", vdmc_error_message());
  path_of(cdir, sizeof cdir, "checkpoints");
  mkdir(cdir, 0755);
  snprintf(path, sizeof path, "%s/m.safetensors", cdir);
  rc = safetensors_write(path, &t, 1, ST_F32, NULL, 0);
  CHECK(rc != VDMC_OK && strstr(vdmc_error_message(), "checkpoints"), "checkpoints/ target: %s", vdmc_error_message());
  SafetensorsDtype d;
  CHECK(safetensors_dtype_parse("fp8", &d) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "--dtype"), "bad --dtype");
}

int main(void) {
  if (!mkdtemp(dir)) return 1;
  check_half_floats();
  check_round_trip();
  check_corrupt();
  check_write_refusals();
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) printf("could not remove %s\n", dir);
  return check_finish("safetensors");
}
