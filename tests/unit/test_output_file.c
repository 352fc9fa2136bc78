// The output policy (core/output_file.h) through every serial writer: the PNG writer,
// the small HDF5 writer (FID statistics, classifier features) and the dataset writer
// (prepare). Each writer meets each kind of target; refused targets are left exactly
// as they were and no temporary survives. (The collective sample writer and train's
// config.yaml and log.jsonl are covered end to end by tests/cli/data_loss.sh.)
#define _XOPEN_SOURCE 700  // lstat, symlink, link, mkfifo, mkdtemp
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>

#include "check.h"
#include "core/input_file.h"
#include "core/output_file.h"
#include "io/small_h5.h"
#include "io/png_write.h"
#include "io_test_util.h"

typedef int (*WriteFn)(const char *path);

static int write_png(const char *path) {
  uint8_t px[4 * 4] = {0, 50, 100, 150, 200, 250};
  return png_write(path, px, 4, 4, 1);
}

static int write_small_h5(const char *path) {
  SmallH5 f;
  int st = small_h5_create(&f, path, "test-kind", 1);
  double v[3] = {1, 2, 3};
  size_t n = 3;
  if (!st) st = small_h5_write(&f, "values", H5T_NATIVE_DOUBLE, 1, &n, v);
  return small_h5_finish(&f, st);
}

static int write_dataset(const char *path) { return io_test_write_dataset(path, 5, 2, 2, 1, 3); }

static const struct {
  const char *name;
  WriteFn write;
  const char *magic;  // the first bytes of a file it wrote
} writers[] = {
    {"png", write_png, "\x89PNG"},
    {"small_h5", write_small_h5, "\x89HDF"},
    {"dataset", write_dataset, "vdmcsum\n"},  // its checksum record (io/file_record.h)
};

static int starts_with(const char *path, const char *magic) {
  char buf[8] = {0};
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(buf, 1, strlen(magic), f);
  fclose(f);
  return n == strlen(magic) && !memcmp(buf, magic, n);
}

static int count_temporaries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".tmp")) n++;
  if (d) closedir(d);
  return n;
}

static void expect_refused(const char *writer, WriteFn write, const char *path, const char *why) {
  int st = write(path);
  CHECK(st == VDMC_ERR_INPUT, "%s to %s: status %d, expected a refusal (%s)", writer, path, st, why);
  CHECK(strstr(vdmc_error_message(), why) != NULL, "%s to %s: message '%s' does not say '%s'", writer, path,
        vdmc_error_message(), why);
  CHECK(strstr(vdmc_error_message(), path) != NULL, "%s: the message does not name %s", writer, path);
}

static void run_writer(const char *root, int w) {
  const char *name = writers[w].name;
  char dir[1100], p[1300], q[1300];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  mkdir(dir, 0755);

  // a new file, and replacing an old regular file: both work
  snprintf(p, sizeof p, "%s/new", dir);
  CHECK(writers[w].write(p) == VDMC_OK, "%s: new file: %s", name, vdmc_error_message());
  CHECK(starts_with(p, writers[w].magic), "%s: new file has the wrong content", name);
  CHECK(writers[w].write(p) == VDMC_OK, "%s: replacing its own file: %s", name, vdmc_error_message());

  // special files are refused and stay what they were
  snprintf(p, sizeof p, "%s/fifo", dir);
  CHECK(mkfifo(p, 0644) == 0, "mkfifo");
  expect_refused(name, writers[w].write, p, "a FIFO, not a regular file");
  struct stat sb;
  CHECK(lstat(p, &sb) == 0 && S_ISFIFO(sb.st_mode), "%s: the FIFO was replaced", name);
  snprintf(p, sizeof p, "%s/dir", dir);
  mkdir(p, 0755);
  expect_refused(name, writers[w].write, p, "a directory, not a regular file");
  CHECK(lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode), "%s: the directory was replaced", name);
  expect_refused(name, writers[w].write, "/dev/null", "a character device");
  CHECK(lstat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode), "/dev/null was replaced");

  // symlinks: a dangling one is refused; one to a regular file is written through
  snprintf(p, sizeof p, "%s/dangling", dir);
  CHECK(symlink("nowhere/x", p) == 0, "symlink");
  expect_refused(name, writers[w].write, p, "symlink to a missing file");
  snprintf(p, sizeof p, "%s/target", dir);
  FILE *f = fopen(p, "w");
  if (f) fclose(f);
  snprintf(q, sizeof q, "%s/link", dir);
  CHECK(symlink("target", q) == 0, "symlink");
  CHECK(writers[w].write(q) == VDMC_OK, "%s: through a symlink: %s", name, vdmc_error_message());
  CHECK(lstat(q, &sb) == 0 && S_ISLNK(sb.st_mode), "%s: the symlink itself was replaced", name);
  CHECK(starts_with(p, writers[w].magic), "%s: the symlink's target did not get the data", name);

  // an input of this process (a reader's input_file_check records it; also through a
  // hard link) is refused and unchanged
  snprintf(p, sizeof p, "%s/input", dir);
  f = fopen(p, "w");
  if (f) {
    fputs("precious", f);
    fclose(f);
  }
  CHECK(input_file_check(p, "test input") == VDMC_OK, "%s: input_file_check: %s", name, vdmc_error_message());
  expect_refused(name, writers[w].write, p, "same file as the input");
  snprintf(q, sizeof q, "%s/hardlink", dir);
  CHECK(link(p, q) == 0, "link");
  expect_refused(name, writers[w].write, q, "same file as the input");
  CHECK(starts_with(p, "precious"), "%s: the input changed", name);
  output_forget_inputs();
  // a file read whole before any output (the config) is checked without the record
  CHECK(input_file_check_unrecorded(p, "config file") == VDMC_OK, "%s: unrecorded check", name);
  CHECK(writers[w].write(p) == VDMC_OK, "%s: an unrecorded input was not replaced: %s", name, vdmc_error_message());

  // a run's checkpoints directory belongs to the checkpointer
  snprintf(p, sizeof p, "%s/checkpoints", dir);
  mkdir(p, 0755);
  snprintf(q, sizeof q, "%s/checkpoints/x", dir);
  expect_refused(name, writers[w].write, q, "only the checkpointer");
  CHECK(!io_test_exists(q), "%s: wrote into checkpoints/", name);

  CHECK(count_temporaries(dir) == 0, "%s: temporaries left in %s", name, dir);
}

// A commit that fails (here: a non-empty directory appeared at the target between the
// check and the rename) reports the system's reason and leaves no temporary.
static void failed_commit_leaves_nothing(const char *root) {
  char p[1200];
  snprintf(p, sizeof p, "%s/rename-fails", root);
  mkdir(p, 0755);
  OutputFile o;
  char target[1300];
  snprintf(target, sizeof target, "%s/out.bin", p);
  CHECK(output_file_begin(&o, target) == VDMC_OK, "begin: %s", vdmc_error_message());
  int fd = open(o.tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  CHECK(fd >= 0, "create the temporary");
  if (fd >= 0) close(fd);
  CHECK(mkdir(target, 0755) == 0, "a directory appears at the target");
  char inner[1400];
  snprintf(inner, sizeof inner, "%s/keep", target);
  fd = open(inner, O_WRONLY | O_CREAT, 0644);  // non-empty: rename cannot replace it
  if (fd >= 0) close(fd);
  int st = output_file_end(&o, VDMC_OK);
  CHECK(st == VDMC_ERR_IO, "rename over a non-empty directory: status %d", st);
  CHECK(strstr(vdmc_error_message(), "Is a directory") || strstr(vdmc_error_message(), "Not a directory") ||
            strstr(vdmc_error_message(), "not empty"),
        "the rename error gives the system's reason: %s", vdmc_error_message());
  CHECK(count_temporaries(p) == 0, "the temporary survived a failed commit");
}

int main(void) {
  char root[256];
  CHECK(io_test_tmpdir(root, sizeof root, "output") == 0, "mkdtemp");
  for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) run_writer(root, (int)w);
  failed_commit_leaves_nothing(root);
  io_test_rmdir(root);
  return check_finish("output_file");
}
