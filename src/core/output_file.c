// The output policy (output_file.h): checks before writing, the temporary's name,
// the commit by rename, and the table of this process's inputs.
#define _XOPEN_SOURCE 700  // lstat, realpath, getpid
#include "core/output_file.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/status.h"

typedef struct {
  dev_t dev;
  ino_t ino;
  char *path;  // as the reader named it, for the message
} InputFile;

static pthread_mutex_t inputs_lock = PTHREAD_MUTEX_INITIALIZER;
static InputFile *inputs;
static size_t n_inputs, cap_inputs;

void output_note_input(const char *path) {
  struct stat sb;
  if (!path || stat(path, &sb) != 0) return;
  pthread_mutex_lock(&inputs_lock);
  for (size_t i = 0; i < n_inputs; i++)
    if (inputs[i].dev == sb.st_dev && inputs[i].ino == sb.st_ino) goto done;
  if (n_inputs == cap_inputs) {
    size_t cap = cap_inputs ? 2 * cap_inputs : 16;
    InputFile *grown = realloc(inputs, cap * sizeof *grown);
    if (!grown) goto done;  // out of memory: the next allocation reports it
    inputs = grown;
    cap_inputs = cap;
  }
  if ((inputs[n_inputs].path = strdup(path))) {
    inputs[n_inputs].dev = sb.st_dev;
    inputs[n_inputs].ino = sb.st_ino;
    n_inputs++;
  }
done:
  pthread_mutex_unlock(&inputs_lock);
}

void output_forget_inputs(void) {
  pthread_mutex_lock(&inputs_lock);
  for (size_t i = 0; i < n_inputs; i++) free(inputs[i].path);
  free(inputs);
  inputs = NULL;
  n_inputs = cap_inputs = 0;
  pthread_mutex_unlock(&inputs_lock);
}

// The noted input that is the file `sb` describes, or NULL.
static const char *input_same_as(const struct stat *sb) {
  const char *found = NULL;
  pthread_mutex_lock(&inputs_lock);
  for (size_t i = 0; i < n_inputs && !found; i++)
    if (inputs[i].dev == sb->st_dev && inputs[i].ino == sb->st_ino) found = inputs[i].path;
  pthread_mutex_unlock(&inputs_lock);
  return found;
}

static const char *kind_of(mode_t m) {
  return S_ISDIR(m) ? "a directory" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
       : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

// dir/base of `path` into dir (at least "." ) and the last component's offset.
static void split_dir(const char *path, char *dir, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(dir, cap, ".");
  else if (slash == path) snprintf(dir, cap, "/");
  else snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

// The policy's checks of `target` (see output_file.h); *real receives the file that
// would be written (the symlink's target when target is one), *is_link whether it is.
static int check_target(const char *target, char *real, size_t cap, int *is_link) {
  *is_link = 0;
  if (!target || !*target) return vdmc_fail(VDMC_ERR_INPUT, "output file name is empty");
  if (snprintf(real, cap, "%s", target) >= (int)cap - 32)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: output path too long", target);
  struct stat lsb, sb;
  int exists = lstat(target, &lsb) == 0;
  if (!exists && errno != ENOENT) return vdmc_fail(VDMC_ERR_INPUT, "%s: cannot write here: %s", target, strerror(errno));
  if (exists && S_ISLNK(lsb.st_mode)) {
    char resolved[PATH_MAX];
    if (!realpath(target, resolved))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: refusing to write: it is a symlink to %s (%s)", target,
                       errno == ENOENT ? "a missing file" : "a path that does not resolve", strerror(errno));
    if (snprintf(real, cap, "%s", resolved) >= (int)cap - 32)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: output path too long", resolved);
    *is_link = 1;
  }
  if (exists) {
    if (stat(real, &sb) != 0) return vdmc_fail(VDMC_ERR_INPUT, "%s: %s", real, strerror(errno));
    if (!S_ISREG(sb.st_mode))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: refusing to write: it exists and is %s, not a regular file", target,
                       kind_of(sb.st_mode));
    const char *input = input_same_as(&sb);
    if (input)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: refusing to write: it is the same file as the input %s", target, input);
  }
  char dir[OUTPUT_PATH_LEN], real_dir[PATH_MAX];
  split_dir(real, dir, sizeof dir);
  if (!realpath(dir, real_dir))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: cannot write: directory %s: %s", target, dir, strerror(errno));
  const char *base = strrchr(real_dir, '/');
  if (base && !strcmp(base + 1, "checkpoints"))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: refusing to write into %s: only the checkpointer writes in a run's "
                     "checkpoints directory", target, real_dir);
  return VDMC_OK;
}

int output_file_begin(OutputFile *o, const char *target) {
  memset(o, 0, sizeof *o);
  int is_link, status = check_target(target, o->path, sizeof o->path, &is_link);
  if (status) return status;
  snprintf(o->tmp_path, sizeof o->tmp_path, "%s.tmp-%ld", o->path, (long)getpid());
  if (is_link) fprintf(stderr, "vdmc: %s is a symlink: writing through it to %s\n", target, o->path);
  return VDMC_OK;
}

int output_file_check(const char *target) {
  char real[OUTPUT_PATH_LEN];
  int is_link;
  return check_target(target, real, sizeof real, &is_link);
}

int output_file_end(OutputFile *o, int status) {
  if (!o->tmp_path[0]) return status;
  if (!status && rename(o->tmp_path, o->path) != 0)
    status = vdmc_fail(VDMC_ERR_IO, "%s: cannot rename the finished temporary %s over it: %s", o->path, o->tmp_path,
                       strerror(errno));
  if (status) unlink(o->tmp_path);
  o->tmp_path[0] = '\0';
  return status;
}
