// Reading the event files already in a directory (io/tb_events.h, tb_scan_dir): which
// tags and steps they hold, so a resumed run can continue its curves without
// writing a step twice.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/tb_events.h"
#include "tb_event.pb-c.h"

// The <time> field of events.out.tfevents.<time>.<host>...; -1 for other names.
static long long name_time(const char *name) {
  const char *prefix = "events.out." TB_FILE_MARKER ".";
  size_t n = strlen(prefix);
  if (strncmp(name, prefix, n)) return -1;
  char *end;
  errno = 0;
  long long t = strtoll(name + n, &end, 10);
  return errno || end == name + n || *end != '.' ? -1 : t;
}

int tb_scan_file(const char *path, TbScanFn fn, TbProblemFn problem, void *ctx) {
  FILE *f = fopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  char why[256];
  long long index = 0;
  TbRecordStatus s;
  while ((s = tb_record_read(f, &buf, &cap, &len, why, sizeof why)) == TB_RECORD_OK) {
    Tb__Event *ev = tb__event__unpack(NULL, len, buf);
    if (!ev) {
      // the framing is sound: report it and go on with the next record
      snprintf(why, sizeof why, "record %lld is not an Event protocol buffer", index);
      problem(ctx, path, why);
    } else {
      if (ev->what_case == TB__EVENT__WHAT_SUMMARY && ev->summary)
        for (size_t i = 0; i < ev->summary->n_value; i++)
          if (ev->summary->value[i] && ev->summary->value[i]->tag) fn(ctx, ev->summary->value[i]->tag, ev->step);
      tb__event__free_unpacked(ev, NULL);
    }
    index++;
  }
  if (s != TB_RECORD_END) {
    char line[400];
    snprintf(line, sizeof line, "record %lld: %s", index, why);
    problem(ctx, path, line);
  }
  int rc = ferror(f) ? vdmc_fail(VDMC_ERR_IO, "%s: read error: %s", path, strerror(errno)) : VDMC_OK;
  free(buf);
  fclose(f);
  return rc;
}

int tb_scan_dir(const char *dir, TbScanFn fn, TbProblemFn problem, void *ctx, TbScan *out) {
  out->files = 0;
  out->newest_name_time = -1;
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? VDMC_OK : vdmc_fail(VDMC_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
  int rc = VDMC_OK;
  struct dirent *e;
  while (!rc && (e = readdir(d))) {
    if (!strstr(e->d_name, TB_FILE_MARKER)) continue;
    char path[4400];
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s/%s: path too long", dir, e->d_name);
      break;
    }
    rc = tb_scan_file(path, fn, problem, ctx);
    out->files++;
    long long t = name_time(e->d_name);
    if (t > out->newest_name_time) out->newest_name_time = t;
  }
  closedir(d);
  return rc;
}
