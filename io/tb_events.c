// TFRecord framing and the event-file writer (io/tb_events.h).
#define _POSIX_C_SOURCE 200809L  // ftruncate, gethostname
#include "io/tb_events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/output_file.h"
#include "core/status.h"
#include "tb_event.pb-c.h"

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tb_record_frame(uint8_t *rec, size_t len) {
  for (int i = 0; i < 8; i++) rec[i] = (uint8_t)((uint64_t)len >> (8 * i));
  put_u32(rec + 8, crc32c_mask(crc32c(rec, 8)));
  put_u32(rec + 12 + len, crc32c_mask(crc32c(rec + 12, len)));
}

TbRecordStatus tb_record_read(FILE *f, uint8_t **buf, size_t *cap, size_t *len, char *why, size_t why_len) {
  uint8_t head[12];
  size_t got = fread(head, 1, sizeof head, f);
  if (got == 0 && feof(f)) return TB_RECORD_END;
  if (got < sizeof head) {
    snprintf(why, why_len, "the file ends inside a record header (%zu of 12 bytes)", got);
    return TB_RECORD_TRUNCATED;
  }
  if (crc32c_mask(crc32c(head, 8)) != get_u32(head + 8)) {
    snprintf(why, why_len, "the CRC of a record length does not match");
    return TB_RECORD_CORRUPT;
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; i++) n |= (uint64_t)head[i] << (8 * i);
  if (n > TB_RECORD_MAX) {
    snprintf(why, why_len, "a record length of %llu bytes (at most %u expected)", (unsigned long long)n,
             TB_RECORD_MAX);
    return TB_RECORD_CORRUPT;
  }
  // a length past the end of a regular file is a cut record: no need to allocate it
  struct stat st;
  long here = ftell(f);
  if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && here >= 0 && n + 4 > (uint64_t)(st.st_size - here)) {
    snprintf(why, why_len, "the file ends inside a record (%lld of %llu bytes)", (long long)(st.st_size - here),
             (unsigned long long)n + 4);
    return TB_RECORD_TRUNCATED;
  }
  if (n + 4 > *cap) {
    uint8_t *grown = realloc(*buf, (size_t)n + 4);
    if (!grown) {
      snprintf(why, why_len, "out of memory for a record of %llu bytes", (unsigned long long)n);
      return TB_RECORD_CORRUPT;
    }
    *buf = grown;
    *cap = (size_t)n + 4;
  }
  got = fread(*buf, 1, (size_t)n + 4, f);
  if (got < n + 4) {
    snprintf(why, why_len, "the file ends inside a record (%zu of %llu bytes)", got,
             (unsigned long long)n + 4);
    return TB_RECORD_TRUNCATED;
  }
  if (crc32c_mask(crc32c(*buf, (size_t)n)) != get_u32(*buf + n)) {
    snprintf(why, why_len, "the CRC of a record's data does not match");
    return TB_RECORD_CORRUPT;
  }
  *len = (size_t)n;
  return TB_RECORD_OK;
}

// Writes all of rec, or cuts the file back to its last whole record.
static int append_record(TbEventFile *f, const uint8_t *rec, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(f->fd, rec + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : ENOSPC;
      int cut = ftruncate(f->fd, (off_t)f->bytes);
      int rc = vdmc_fail(VDMC_ERR_IO, "%s: write failed: %s%s", f->path, strerror(e),
                         cut ? " (and the partial record could not be cut off: readers stop there)" : "");
      tb_file_close(f);
      return rc;
    }
    done += (size_t)w;
  }
  f->bytes += (long long)n;
  return VDMC_OK;
}

static int write_event(TbEventFile *f, const Tb__Event *ev) {
  size_t len = tb__event__get_packed_size(ev);
  uint8_t *rec = malloc(len + TB_RECORD_OVERHEAD);
  if (!rec) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for an event of %zu bytes", f->path, len);
  tb__event__pack(ev, rec + 12);
  tb_record_frame(rec, len);
  int rc = append_record(f, rec, len + TB_RECORD_OVERHEAD);
  free(rec);
  return rc;
}

int tb_file_create(TbEventFile *f, const char *dir, long long name_time, double wall_time) {
  f->fd = -1;
  f->bytes = 0;
  char host[256] = "localhost";
  if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = 0;
  for (char *c = host; *c; c++)
    if (*c == '/') *c = '_';
  if (snprintf(f->path, sizeof f->path, "%s/events.out.%s.%010lld.%s.%ld", dir, TB_FILE_MARKER, name_time, host,
               (long)getpid()) >= (int)sizeof f->path)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: directory path too long for an event file", dir);
  int rc = output_file_check(f->path);
  if (rc) return rc;
  f->fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
  if (f->fd < 0) return vdmc_fail(VDMC_ERR_IO, "%s: cannot create: %s", f->path, strerror(errno));
  Tb__Event ev = TB__EVENT__INIT;
  ev.wall_time = wall_time;
  ev.what_case = TB__EVENT__WHAT_FILE_VERSION;
  ev.file_version = "brain.Event:2";
  rc = write_event(f, &ev);
  if (rc) unlink(f->path);  // empty and ours: nothing to keep
  return rc;
}

int tb_file_write(TbEventFile *f, double wall_time, long long step, const TbValue *values, int n) {
  if (f->fd < 0) return vdmc_fail(VDMC_ERR_INTERNAL, "%s: write after close", f->path);
  Tb__Summary__Value *vals = calloc((size_t)n, sizeof *vals);
  Tb__Summary__Value **ptrs = calloc((size_t)n, sizeof *ptrs);
  Tb__Summary__Image *imgs = calloc((size_t)n, sizeof *imgs);
  Tb__HistogramProto *hists = calloc((size_t)n, sizeof *hists);
  int rc = VDMC_OK;
  if (!vals || !ptrs || !imgs || !hists) rc = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", f->path);
  for (int i = 0; !rc && i < n; i++) {
    const TbValue *v = &values[i];
    Tb__Summary__Value init = TB__SUMMARY__VALUE__INIT;
    vals[i] = init;
    vals[i].tag = (char *)v->tag;  // protobuf-c only reads it while packing
    if (v->kind == TB_SCALAR) {
      vals[i].value_case = TB__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
      vals[i].simple_value = (float)v->scalar;
    } else if (v->kind == TB_IMAGE) {
      Tb__Summary__Image im = TB__SUMMARY__IMAGE__INIT;
      im.height = v->height;
      im.width = v->width;
      im.colorspace = v->colorspace;
      im.encoded_image_string = (ProtobufCBinaryData){.len = v->png_len, .data = (uint8_t *)v->png};
      imgs[i] = im;
      vals[i].value_case = TB__SUMMARY__VALUE__VALUE_IMAGE;
      vals[i].image = &imgs[i];
    } else {
      Tb__HistogramProto h = TB__HISTOGRAM_PROTO__INIT;
      h.min = v->min;
      h.max = v->max;
      h.num = v->num;
      h.sum = v->sum;
      h.sum_squares = v->sum_squares;
      h.n_bucket_limit = h.n_bucket = v->buckets;
      h.bucket_limit = (double *)v->bucket_limit;
      h.bucket = (double *)v->bucket;
      hists[i] = h;
      vals[i].value_case = TB__SUMMARY__VALUE__VALUE_HISTO;
      vals[i].histo = &hists[i];
    }
    ptrs[i] = &vals[i];
  }
  if (!rc) {
    Tb__Summary sum = TB__SUMMARY__INIT;
    sum.n_value = (size_t)n;
    sum.value = ptrs;
    Tb__Event ev = TB__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.step = step;
    ev.what_case = TB__EVENT__WHAT_SUMMARY;
    ev.summary = &sum;
    rc = write_event(f, &ev);
  }
  free(hists);
  free(imgs);
  free(ptrs);
  free(vals);
  return rc;
}

void tb_file_close(TbEventFile *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
}
