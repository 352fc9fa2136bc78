// The checkpoints directory: file names, the commit (rename + `latest`), keeping
// the newest K, and resolving "latest" into candidate files. POSIX, rank 0 only.
#define _POSIX_C_SOURCE 200809L  // fsync, fileno, O_DIRECTORY, getpid in C11 mode
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mpi.h>

#include "core/fs.h"
#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "mpi/comm.h"

void ckpt_dir_of(const char *run_dir, char *out) {
  snprintf(out, CKPT_PATH_LEN, "%s/checkpoints", run_dir);
}

void ckpt_file_name(int64_t step, char *out) {
  snprintf(out, CKPT_PATH_LEN, "step-%08lld.h5", (long long)step);
}

// step-N.h5 -> N (and *tmp = 0); step-N.h5.tmp -> N (and *tmp = 1); else -1.
static int64_t parse_step_name(const char *name, int *tmp) {
  long long step;
  int used = 0;
  if (strncmp(name, "step-", 5) || sscanf(name + 5, "%lld%n", &step, &used) != 1 || step < 0)
    return -1;
  const char *rest = name + 5 + used;
  *tmp = !strcmp(rest, ".h5.tmp");
  return (*tmp || !strcmp(rest, ".h5")) ? step : -1;
}

static int fsync_path(const char *path, int is_dir) {
  int fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return vdmc_fail(VDMC_ERR_IO, "checkpoint: fsync %s: %s", path, strerror(e));
  }
  close(fd);
  return VDMC_OK;
}

static int rename_durable(const char *from, const char *to, const char *dir) {
  if (rename(from, to) != 0)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint: rename %s -> %s: %s", from, to, strerror(errno));
  return fsync_path(dir, 1);
}

// rename(2) replaces any `latest` but a directory (a symlink, FIFO or garbage file
// is replaced by the real pointer file, which is vdmc's own).
static int latest_replaceable(const char *latest) {
  struct stat sb;
  if (lstat(latest, &sb) == 0 && S_ISDIR(sb.st_mode))
    return vdmc_fail(VDMC_ERR_IO, "checkpoint: %s is a directory, where vdmc keeps the name of the newest "
                     "checkpoint: remove it", latest);
  return VDMC_OK;
}

int checkpoint_dir_check_writable(const char *run_dir) {
  char dir[CKPT_PATH_LEN], latest[CKPT_PATH_LEN + 16];
  ckpt_dir_of(run_dir, dir);
  snprintf(latest, sizeof latest, "%s/latest", dir);
  return latest_replaceable(latest);
}

static int write_latest(const char *dir, const char *name) {
  char tmp[CKPT_PATH_LEN + 16], latest[CKPT_PATH_LEN + 16];
  snprintf(tmp, sizeof tmp, "%s/latest.tmp", dir);
  snprintf(latest, sizeof latest, "%s/latest", dir);
  int status = latest_replaceable(latest);
  if (status) return status;
  unlink(tmp);  // a leftover (or a FIFO someone put there, which "w" would block on)
  FILE *f = fopen(tmp, "wx");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "checkpoint: cannot write %s: %s", tmp, strerror(errno));
  int ok = fprintf(f, "%s\n", name) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
  int e = errno;
  if (fclose(f) != 0) ok = 0;
  if (!ok) status = vdmc_fail(VDMC_ERR_IO, "checkpoint: writing %s failed: %s", tmp, strerror(e));
  if (!status) status = rename_durable(tmp, latest, dir);
  if (status) unlink(tmp);
  return status;
}

typedef struct {
  int64_t step;
  int tmp;
} StepFile;

static int compare_step_desc(const void *a, const void *b) {
  const StepFile *x = a, *y = b;
  return x->step < y->step ? 1 : x->step > y->step ? -1 : x->tmp - y->tmp;
}

// All step files (committed and temporary) in dir, newest first.
static int list_steps(const char *dir, StepFile **out, int *n) {
  DIR *d = opendir(dir);
  if (!d) return vdmc_fail(VDMC_ERR_IO, "checkpoint: cannot list %s: %s", dir, strerror(errno));
  StepFile *files = malloc(CKPT_MAX_FILES * sizeof *files);
  if (!files) {
    closedir(d);
    return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory listing %s", dir);
  }
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) && count < CKPT_MAX_FILES) {
    int tmp = 0;
    int64_t step = parse_step_name(e->d_name, &tmp);
    if (step >= 0) files[count++] = (StepFile){step, tmp};
  }
  closedir(d);
  qsort(files, (size_t)count, sizeof *files, compare_step_desc);
  *out = files;
  *n = count;
  return VDMC_OK;
}

static int remove_step_file(const char *dir, StepFile f) {
  char name[CKPT_PATH_LEN], path[2 * CKPT_PATH_LEN];
  ckpt_file_name(f.step, name);
  snprintf(path, sizeof path, "%s/%s%s", dir, name, f.tmp ? ".tmp" : "");
  if (unlink(path) != 0 && errno != ENOENT)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint: cannot delete old %s: %s", path, strerror(errno));
  return VDMC_OK;
}

// Runs only after the new checkpoint is committed: the newest `keep` committed files
// stay (the new one among them); older ones and temporaries of older steps go.
static int prune(const char *dir, int64_t committed_step, int keep) {
  StepFile *files;
  int n, kept = 0, status = list_steps(dir, &files, &n);
  if (status) return status;
  for (int i = 0; i < n && !status; i++) {
    if (files[i].tmp) {
      if (files[i].step < committed_step) status = remove_step_file(dir, files[i]);
    } else if (++kept > keep) {
      status = remove_step_file(dir, files[i]);
    }
  }
  free(files);
  return status;
}

int ckpt_dir_commit(const char *ckpt_dir, const char *tmp_path, int64_t step, int keep) {
  char name[CKPT_PATH_LEN], final_path[2 * CKPT_PATH_LEN];
  ckpt_file_name(step, name);
  snprintf(final_path, sizeof final_path, "%s/%s", ckpt_dir, name);
  int status = fsync_path(tmp_path, 0);
  if (!status) status = rename_durable(tmp_path, final_path, ckpt_dir);
  if (!status) status = write_latest(ckpt_dir, name);
  if (!status) status = prune(ckpt_dir, step, keep);
  return status;
}

static int is_dir(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

// The checkpoints directory of `path`, a run directory or that directory itself.
static void checkpoints_dir_of(const char *path, char *dir) {
  ckpt_dir_of(path, dir);
  if (!is_dir(dir)) snprintf(dir, CKPT_PATH_LEN, "%s", path);  // path is the checkpoints dir
}

// Reads the file name stored in DIR/latest into name. *found = 1: it names a step
// file; 0: there is no usable `latest`, and *problem says why when it exists but is
// broken (dangling or looping symlink, unreadable, not a file, not a step-N.h5 name).
// A broken `latest` is not an error: the committed step files still say where the run
// is, and treating it as "no run here" would start from scratch over them.
static void read_latest(const char *dir, char *name, int *found, char *problem, size_t cap) {
  char path[CKPT_PATH_LEN + 16];
  snprintf(path, sizeof path, "%s/latest", dir);
  *found = 0;
  problem[0] = '\0';
  struct stat lsb, sb;
  if (lstat(path, &lsb) != 0) {
    if (errno != ENOENT) snprintf(problem, cap, "%s: %s", path, strerror(errno));
    return;
  }
  if (stat(path, &sb) != 0) {
    snprintf(problem, cap, "%s: %s", path, errno == ENOENT ? "dangling symlink" : strerror(errno));
    return;
  }
  if (!S_ISREG(sb.st_mode)) {
    snprintf(problem, cap, "%s: not a regular file", path);
    return;
  }
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(problem, cap, "%s: %s", path, strerror(errno));
    return;
  }
  int ok = fgets(name, CKPT_PATH_LEN, f) != NULL;
  fclose(f);
  if (ok) name[strcspn(name, "\r\n")] = '\0';
  int tmp = 0;
  if (!ok || parse_step_name(name, &tmp) < 0 || tmp) {
    snprintf(problem, cap, "%s: does not name a step-NNNNNNNN.h5 file", path);
    return;
  }
  *found = 1;
}

// Rank 0 of the world prints (checkpoint readers run on every rank or serially).
static void warn_once(const char *fmt, const char *a, const char *b) {
  if (vdmc_mpi_world_rank() == 0) {
    fprintf(stderr, fmt, a, b);
    fflush(stderr);
  }
}

int checkpoint_run_exists(const char *run_dir, int *exists) {
  char dir[CKPT_PATH_LEN];
  *exists = 0;
  ckpt_dir_of(run_dir, dir);
  struct stat sb;
  if (lstat(dir, &sb) != 0) {
    if (errno == ENOENT) return VDMC_OK;
    return vdmc_fail(VDMC_ERR_IO, "%s: %s", dir, strerror(errno));
  }
  if (!S_ISDIR(sb.st_mode) && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
    return vdmc_fail(VDMC_ERR_IO, "%s: exists and is not a directory", dir);
  char latest[CKPT_PATH_LEN + 16];
  snprintf(latest, sizeof latest, "%s/latest", dir);
  if (lstat(latest, &sb) == 0) {  // any kind of `latest`, even a broken one, marks a run
    *exists = 1;
    return VDMC_OK;
  }
  StepFile *files;
  int n, status = list_steps(dir, &files, &n);
  if (status) return status;
  for (int i = 0; i < n; i++) *exists |= !files[i].tmp;
  free(files);
  return VDMC_OK;
}

int ckpt_dir_candidates(const char *path, char (**cands)[CKPT_PATH_LEN], int *n, int *fallback) {
  char dir[CKPT_PATH_LEN];
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  *n = 0;
  *fallback = 0;
  *cands = malloc(CKPT_MAX_FILES * sizeof **cands);
  if (!*cands) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory");
  if (!strcmp(base, "latest")) {
    snprintf(dir, sizeof dir, "%.*s", base == path ? 1 : (int)(base - path - 1), base == path ? "." : path);
  } else if (is_dir(path)) {
    checkpoints_dir_of(path, dir);
  } else {
    if (access(path, R_OK) != 0)
      return vdmc_fail(VDMC_ERR_IO, "checkpoint %s: %s", path, strerror(errno));
    snprintf((*cands)[0], CKPT_PATH_LEN, "%s", path);
    *n = 1;
    return VDMC_OK;
  }
  char latest[CKPT_PATH_LEN], problem[CKPT_PATH_LEN + 64];
  int found, tmp;
  read_latest(dir, latest, &found, problem, sizeof problem);
  int64_t newest = found ? parse_step_name(latest, &tmp) : INT64_MAX;
  if (found) snprintf((*cands)[(*n)++], CKPT_PATH_LEN, "%.*s/%.64s", CKPT_PATH_LEN - 80, dir, latest);
  StepFile *files;
  int nfiles;
  int status = list_steps(dir, &files, &nfiles);
  if (status) return status;
  for (int i = 0; i < nfiles; i++) {
    if (files[i].tmp || files[i].step >= newest) continue;
    char name[CKPT_PATH_LEN];
    ckpt_file_name(files[i].step, name);
    snprintf((*cands)[(*n)++], CKPT_PATH_LEN, "%.*s/%.64s", CKPT_PATH_LEN - 80, dir, name);
  }
  free(files);
  if (*n == 0) {
    if (problem[0]) return vdmc_fail(VDMC_ERR_IO, "checkpoint: no checkpoint in %s (%s, no step-*.h5)", dir, problem);
    return vdmc_fail(VDMC_ERR_IO, "checkpoint: no checkpoint in %s (no latest, no step-*.h5)", dir);
  }
  if (!found && !problem[0]) snprintf(problem, sizeof problem, "%s/latest is missing", dir);
  if (problem[0]) warn_once("vdmc: warning: %s; using the newest committed step file, %s\n", problem, (*cands)[0]);
  *fallback = 1;
  return VDMC_OK;
}

void ckpt_test_pause(const char *phase, int rank) {
  const char *want = getenv("VDMC_CKPT_TEST_PAUSE");
  const char *want_rank = getenv("VDMC_CKPT_TEST_PAUSE_RANK");
  if (!want || strcmp(want, phase)) return;
  if (want_rank && atoi(want_rank) != rank) return;
  fprintf(stderr, "vdmc checkpoint test hook: rank %d pid %ld paused at %s\n", rank, (long)getpid(), phase);
  fflush(stderr);
  raise(SIGSTOP);
}

int ckpt_dir_committed(const char *path, char (**files)[CKPT_PATH_LEN], int *n) {
  char dir[CKPT_PATH_LEN];
  StepFile *steps;
  int nsteps;
  *files = NULL;
  *n = 0;
  checkpoints_dir_of(path, dir);
  int status = list_steps(dir, &steps, &nsteps);
  if (status) return status;
  if (!(*files = malloc((size_t)(nsteps ? nsteps : 1) * sizeof **files))) {
    free(steps);
    return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory listing %s", dir);
  }
  for (int i = 0; i < nsteps; i++) {
    if (steps[i].tmp) continue;
    char name[CKPT_PATH_LEN];
    ckpt_file_name(steps[i].step, name);
    snprintf((*files)[(*n)++], CKPT_PATH_LEN, "%.*s/%.64s", CKPT_PATH_LEN - 80, dir, name);
  }
  free(steps);
  return VDMC_OK;
}

int ckpt_replace_keeping(const char *tmp_path, const char *path, const char *backup) {
  char dir[CKPT_PATH_LEN], backup_dir[CKPT_PATH_LEN];
  const char *slash = strrchr(path, '/'), *bslash = strrchr(backup, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  snprintf(backup_dir, sizeof backup_dir, "%.*s", bslash ? (int)(bslash - backup) : 1, bslash ? backup : ".");
  int status = fsync_path(tmp_path, 0);
  // the second name; one that is already this very file is an upgrade stopped after its link
  if (!status && link(path, backup) != 0 && !(errno == EEXIST && fs_same_file(path, backup)))
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint: cannot keep %s as %s (hard link): %s", path, backup,
                       strerror(errno));
  // the original's second name (and its directory's entry) is durable before the rename
  if (!status) status = fsync_path(backup_dir, 1);
  if (!status) status = fsync_path(dir, 1);
  if (!status) ckpt_test_pause("after_link", 0);
  if (!status) status = rename_durable(tmp_path, path, dir);
  return status;
}
