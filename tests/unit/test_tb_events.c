// TensorBoard event files (io/tb_events.h): the TFRecord framing of a 5-byte payload
// against bytes computed by an independent bitwise CRC-32C; an event file written and
// read back field by field; a corrupt byte is CORRUPT, every cut inside the last
// record is TRUNCATED with the records before it intact; the directory scan sees
// every tag and step and reports the damaged file; a write that fails part-way
// (RLIMIT_FSIZE) leaves the file at its last whole record.
#define _POSIX_C_SOURCE 200809L  // mkdtemp, ftruncate
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/tb_events.h"
#include "tb_event.pb-c.h"

static void check_frame(void) {
  uint8_t rec[5 + TB_RECORD_OVERHEAD];
  memcpy(rec + 12, "hello", 5);
  tb_record_frame(rec, 5);
  static const uint8_t head[12] = {5, 0, 0, 0, 0, 0, 0, 0, 0xea, 0xb2, 0x04, 0x3e};  // masked crc 0x3e04b2ea
  static const uint8_t foot[4] = {0xbb, 0x1f, 0x1c, 0x19};                          // masked crc 0x191c1fbb
  CHECK(!memcmp(rec, head, 12), "record header");
  CHECK(!memcmp(rec + 17, foot, 4), "record footer");
  FILE *f = fmemopen(rec, sizeof rec, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  char why[256];
  CHECK(tb_record_read(f, &buf, &cap, &len, why, sizeof why) == TB_RECORD_OK && len == 5 && !memcmp(buf, "hello", 5),
        "read back");
  CHECK(tb_record_read(f, &buf, &cap, &len, why, sizeof why) == TB_RECORD_END, "clean end");
  fclose(f);
  free(buf);
}

typedef struct {
  int scalars_at[16], images, histos, problems;
  char problem[512];
} Seen;

static void on_value(void *ctx, const char *tag, long long step) {
  Seen *s = ctx;
  if (!strcmp(tag, "loss") && step >= 0 && step < 16) s->scalars_at[step]++;
  if (!strcmp(tag, "grid")) s->images++;
  if (!strcmp(tag, "density")) s->histos++;
}
static void on_problem(void *ctx, const char *path, const char *why) {
  Seen *s = ctx;
  s->problems++;
  snprintf(s->problem, sizeof s->problem, "%s: %s", path, why);
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) ? -1 : (long)st.st_size;
}

// Reads every record of path; returns how many were whole and sets *last to the status that ended it.
static int count_records(const char *path, TbRecordStatus *last) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, len;
  char why[256];
  int n = 0;
  while ((*last = tb_record_read(f, &buf, &cap, &len, why, sizeof why)) == TB_RECORD_OK) n++;
  free(buf);
  fclose(f);
  return n;
}

int main(void) {
  check_frame();
  char dir[] = "/tmp/vdmc_tb_testXXXXXX";
  CHECK(mkdtemp(dir) != NULL, "temp dir");
  TbEventFile ef;
  CHECK(tb_file_create(&ef, dir, 1234567890, 1.5e9) == 0, "create: %s", ef.path);
  CHECK(strstr(ef.path, "/events.out.tfevents.1234567890.") != NULL, "TensorBoard's file name: %s", ef.path);
  TbEventFile again = ef;
  CHECK(tb_file_create(&again, dir, 1234567890, 1.5e9) != 0, "the same name is never reused (O_EXCL)");
  static const uint8_t png[] = {0x89, 'P', 'N', 'G', 1, 2, 3};
  double limits[3] = {-1, 0, 2}, counts[3] = {0.25, 0.5, 0.25};
  TbValue v[3] = {
      {.tag = "loss", .kind = TB_SCALAR, .scalar = 0.125},
      {.tag = "grid", .kind = TB_IMAGE, .png = png, .png_len = sizeof png, .width = 7, .height = 5, .colorspace = 1},
      {.tag = "density", .kind = TB_HISTOGRAM, .bucket_limit = limits, .bucket = counts, .buckets = 3, .min = -2,
       .max = 2, .num = 1, .sum = 0.125, .sum_squares = 1.5}};
  CHECK(tb_file_write(&ef, 1.5e9 + 1, 3, v, 3) == 0, "write an event");
  for (int s = 4; s < 8; s++) CHECK(tb_file_write(&ef, 1.5e9 + s, s, v, 1) == 0, "write scalar at %d", s);
  tb_file_close(&ef);

  // read back: the file_version record, then the values exactly
  FILE *f = fopen(ef.path, "rb");
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  char why[256];
  CHECK(tb_record_read(f, &buf, &cap, &len, why, sizeof why) == TB_RECORD_OK, "first record");
  Tb__Event *e = tb__event__unpack(NULL, len, buf);
  CHECK(e && e->what_case == TB__EVENT__WHAT_FILE_VERSION && !strcmp(e->file_version, "brain.Event:2") &&
            e->wall_time == 1.5e9,
        "file_version brain.Event:2");
  if (e) tb__event__free_unpacked(e, NULL);
  CHECK(tb_record_read(f, &buf, &cap, &len, why, sizeof why) == TB_RECORD_OK, "second record");
  e = tb__event__unpack(NULL, len, buf);
  CHECK(e && e->step == 3 && e->what_case == TB__EVENT__WHAT_SUMMARY && e->summary->n_value == 3, "summary event");
  if (e && e->summary && e->summary->n_value == 3) {
    Tb__Summary__Value **sv = e->summary->value;
    CHECK(!strcmp(sv[0]->tag, "loss") && sv[0]->value_case == TB__SUMMARY__VALUE__VALUE_SIMPLE_VALUE &&
              sv[0]->simple_value == 0.125f,
          "scalar");
    Tb__Summary__Image *im = sv[1]->image;
    CHECK(sv[1]->value_case == TB__SUMMARY__VALUE__VALUE_IMAGE && im->width == 7 && im->height == 5 &&
              im->colorspace == 1 && im->encoded_image_string.len == sizeof png &&
              !memcmp(im->encoded_image_string.data, png, sizeof png),
          "image");
    Tb__HistogramProto *h = sv[2]->histo;
    CHECK(sv[2]->value_case == TB__SUMMARY__VALUE__VALUE_HISTO && h->n_bucket == 3 && h->n_bucket_limit == 3 &&
              h->bucket_limit[2] == 2 && h->bucket[1] == 0.5 && h->min == -2 && h->sum_squares == 1.5,
          "histogram");
  }
  if (e) tb__event__free_unpacked(e, NULL);
  fclose(f);
  free(buf);

  // one flipped byte in the data of the first summary record
  long size = file_size(ef.path);
  TbRecordStatus last;
  CHECK(count_records(ef.path, &last) == 6 && last == TB_RECORD_END, "6 whole records");
  char copy[4600];
  snprintf(copy, sizeof copy, "%s/corrupt", dir);
  FILE *in = fopen(ef.path, "rb"), *out = fopen(copy, "wb");
  uint8_t *all = malloc((size_t)size);
  CHECK(fread(all, 1, (size_t)size, in) == (size_t)size, "read file");
  fclose(in);
  long first_len = (long)all[0] + TB_RECORD_OVERHEAD;
  all[first_len + 20] ^= 0x10;
  fwrite(all, 1, (size_t)size, out);
  fclose(out);
  CHECK(count_records(copy, &last) == 1 && last == TB_RECORD_CORRUPT, "a flipped byte is CORRUPT");
  remove(copy);

  // every cut inside the last record: TRUNCATED after 5 whole records
  long last_len = 0;
  for (long off = 0; off < size;) {
    long rec = (long)all[off] + TB_RECORD_OVERHEAD;  // lengths < 256 here
    if (off + rec == size) last_len = rec;
    off += rec;
  }
  int bad_cuts = 0;
  for (long cut = 1; cut < last_len; cut++) {
    CHECK(truncate(ef.path, size - cut) == 0, "truncate");
    if (count_records(ef.path, &last) != 5 || last != TB_RECORD_TRUNCATED) bad_cuts++;
  }
  CHECK(bad_cuts == 0, "%d of %ld cuts of the last record not read as 5 records + TRUNCATED", bad_cuts, last_len - 1);

  // the directory scan: every tag and step of the damaged file, and one problem line
  Seen seen = {0};
  TbScan scan;
  CHECK(tb_scan_dir(dir, on_value, on_problem, &seen, &scan) == 0, "scan");
  CHECK(scan.files == 1 && scan.newest_name_time == 1234567890, "scan: %d files, newest %lld", scan.files,
        scan.newest_name_time);
  CHECK(seen.scalars_at[3] == 1 && seen.scalars_at[4] == 1 && seen.scalars_at[6] == 1 && seen.scalars_at[7] == 0 &&
            seen.images == 1 && seen.histos == 1,
        "scan: tags and steps of the whole records");
  CHECK(seen.problems == 1 && strstr(seen.problem, "record 5: the file ends inside a record"), "scan problem: %s",
        seen.problem);
  char missing[4600];
  snprintf(missing, sizeof missing, "%s/none", dir);
  CHECK(tb_scan_dir(missing, on_value, on_problem, &seen, &scan) == 0 && scan.files == 0, "a missing dir is empty");
  remove(ef.path);

  // a write that fails part-way: the file is cut back to its last whole record
  signal(SIGXFSZ, SIG_IGN);
  TbEventFile small;
  CHECK(tb_file_create(&small, dir, 1234567891, 1.5e9) == 0, "create");
  long before = file_size(small.path);
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = (rlim_t)before + 40;  // the image event (~90 bytes) does not fit
  CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit");
  int rc = tb_file_write(&small, 1.5e9, 1, v, 3);
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(rc != 0 && small.fd < 0, "a failed write is an error and closes the file");
  CHECK(file_size(small.path) == before, "cut back to %ld bytes, found %ld", before, file_size(small.path));
  CHECK(count_records(small.path, &last) == 1 && last == TB_RECORD_END, "the file_version record intact");
  remove(small.path);
  free(all);
  rmdir(dir);
  return check_finish("tb_events");
}
