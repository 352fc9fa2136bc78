// Collective checkpoints (io/checkpoint.h). An MPI program:
//   test_checkpoint                 the suite at the current number of ranks
//   test_checkpoint write DIR STEP  saves the deterministic state of STEP into DIR
//   test_checkpoint read DIR STEP   loads DIR's latest, expects STEP, compares every byte
// tests/cli/checkpoint_mpi.sh runs these under mpirun -n 1, 2, 4 (write at 2, read at
// 1, 2, 4; kill -9 during a write).
#define _POSIX_C_SOURCE 200809L  // mkdtemp, truncate, pwrite in C11 mode
#include <hdf5.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "check.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/file_record.h"

#define NARRAYS 4
#define NEXTRAS 3
#define NBINS 100
static const char *array_names[NARRAYS] = {"params", "ema", "adam_m", "adam_v"};
static const char *extra_names[NEXTRAS] = {"schedule_bin_sum", "schedule_bin_count", "schedule_bin_value"};

static int rank, size;

typedef struct {
  ParamTable table;
  float *full[NARRAYS];         // (total) the whole arrays as the trainer holds them
  double extras[NEXTRAS][NBINS];
  char config[256];
} Model;

// A small U-Net-like table with odd sizes (so padding and uneven partitions occur);
// conv_out changes one tensor's shape for the mismatch test.
static void model_init(Model *m, size_t conv_out) {
  memset(m, 0, sizeof *m);
  param_table_init(&m->table);
  size_t s0[4] = {conv_out, 3, 3, 3}, s1[1] = {conv_out}, s2[2] = {10, 37}, s3[1] = {1001};
  param_table_add(&m->table, "in.conv.weight", 4, s0, 1, NULL);
  param_table_add(&m->table, "in.conv.bias", 1, s1, 0, NULL);
  param_table_add(&m->table, "emb.weight", 2, s2, 1, NULL);
  param_table_add(&m->table, "out.norm.scale", 1, s3, 0, NULL);
  for (int k = 0; k < NARRAYS; k++) m->full[k] = vdmc_alloc_floats(m->table.total);
}

static void model_free(Model *m) {
  for (int k = 0; k < NARRAYS; k++) vdmc_free_floats(m->full[k]);
  param_table_free(&m->table);
}

// Deterministic state of `step`: exact floats from an integer hash.
static void model_fill(Model *m, int64_t step) {
  for (int k = 0; k < NARRAYS; k++)
    for (size_t i = 0; i < m->table.total; i++) {
      uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)(k + 1) << 40) ^ (uint64_t)step * 0xD1B54A32D192ED03ull;
      h ^= h >> 29;
      m->full[k][i] = (float)(h & 0xFFFFFF) / 16777216.0f - 0.5f;
    }
  for (int e = 0; e < NEXTRAS; e++)
    for (int b = 0; b < NBINS; b++) m->extras[e][b] = 1.0 / (1 + b + e) + (double)step;
  snprintf(m->config, sizeof m->config, "model:\n  channels: 8\ntrain:\n  step_marker: %lld\n", (long long)step);
}

// Each rank writes its part of an even partition of the arrays it holds whole.
static void state_for_save(CheckpointState *st, Model *m, int64_t step) {
  checkpoint_state_init(st, &m->table);
  size_t off, cnt;
  checkpoint_partition(m->table.total, rank, size, &off, &cnt);
  for (int k = 0; k < NARRAYS; k++) checkpoint_add_array(st, array_names[k], m->full[k] + off, off, cnt);
  for (int e = 0; e < NEXTRAS; e++) checkpoint_add_extra(st, extra_names[e], m->extras[e], NBINS);
  st->step = step;
  st->images_seen = step * 128;
  st->seed = 1234;
  st->config_text = m->config;
}

// Loads into fresh buffers for slice [off, off+cnt) of every array.
typedef struct {
  CheckpointState st;
  float *slice[NARRAYS];
  double extras[NEXTRAS][NBINS];
} Loaded;

static void loaded_init(Loaded *l, Model *m, size_t off, size_t cnt) {
  memset(l, 0, sizeof *l);
  checkpoint_state_init(&l->st, &m->table);
  for (int k = 0; k < NARRAYS; k++) {
    l->slice[k] = vdmc_alloc_floats(cnt);
    checkpoint_add_array(&l->st, array_names[k], l->slice[k], off, cnt);
  }
  for (int e = 0; e < NEXTRAS; e++) checkpoint_add_extra(&l->st, extra_names[e], l->extras[e], NBINS);
}

static void loaded_free(Loaded *l) {
  for (int k = 0; k < NARRAYS; k++) vdmc_free_floats(l->slice[k]);
  free(l->st.config_text);
}

// Byte-identical comparison of a loaded slice against the expected model state.
static void check_loaded(const Loaded *l, const Model *want, int64_t step, const char *what) {
  const CheckpointArray *a = &l->st.arrays[0];
  int same = 1;
  for (int k = 0; k < NARRAYS; k++)
    same &= memcmp(l->slice[k], want->full[k] + a->offset, a->count * sizeof(float)) == 0;
  CHECK(same, "%s: rank %d slice [%zu, +%zu) differs from the saved bytes", what, rank, a->offset, a->count);
  CHECK(memcmp(l->extras, want->extras, sizeof l->extras) == 0, "%s: extras differ", what);
  CHECK(l->st.step == step && l->st.images_seen == step * 128 && l->st.seed == 1234,
        "%s: scalars step %lld images %lld seed %llu", what, (long long)l->st.step,
        (long long)l->st.images_seen, (unsigned long long)l->st.seed);
  CHECK(l->st.config_text && !strcmp(l->st.config_text, want->config), "%s: config text differs", what);
}

static int save_step(const char *run, Model *m, int64_t step, int keep) {
  CheckpointState st;
  model_fill(m, step);
  state_for_save(&st, m, step);
  return checkpoint_save(run, &st, keep, MPI_COMM_WORLD);
}

// Loads `path` with whole arrays on every rank (how an unsharded trainer resumes).
static int load_whole(const char *path, Model *m, Loaded *l) {
  loaded_init(l, m, 0, m->table.total);
  return checkpoint_load(path, MPI_COMM_WORLD, &l->st);
}

static int read_text(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(out, 1, cap - 1, f);
  out[n] = '\0';
  fclose(f);
  return (int)n;
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

static void path_join(char *out, size_t cap, const char *dir, const char *name) {
  snprintf(out, cap, "%s/%s", dir, name);
}

// ---- damage done by rank 0 between collective calls ------------------------------
// Damage followed by a fresh whole-file record (io/file_record.h) reaches the
// inner checks (format_version, per-array CRCs); without it the record catches it.
enum { STALE_RECORD = 0, FRESH_RECORD = 1 };

static void set_format_version(const char *file, int version) {
  if (rank == 0) {
    hid_t f = H5Fopen(file, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    int32_t v = version;
    CHECK(f >= 0 && a >= 0 && H5Awrite(a, H5T_NATIVE_INT32, &v) >= 0, "rewrite format_version");
    H5Aclose(a);
    H5Fclose(f);
    CHECK(file_record_reseal(file) == VDMC_OK, "reseal: %s", vdmc_error_message());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// Flips bytes in the middle of a dataset's data (not its metadata).
static void corrupt_dataset(const char *file, const char *dset_path, int record) {
  if (rank == 0) {
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, dset_path, H5P_DEFAULT);
    haddr_t at = H5Dget_offset(d);
    hsize_t bytes = H5Dget_storage_size(d);
    H5Dclose(d);
    H5Fclose(f);
    int fd = open(file, O_RDWR);
    unsigned char junk[8] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04};
    CHECK(at != HADDR_UNDEF && bytes > 64 && fd >= 0 &&
          pwrite(fd, junk, sizeof junk, (off_t)(at + bytes / 2)) == (ssize_t)sizeof junk,
          "corrupt %s in %s", dset_path, file);
    if (fd >= 0) close(fd);
    if (record == FRESH_RECORD) CHECK(file_record_reseal(file) == VDMC_OK, "reseal: %s", vdmc_error_message());
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

static void truncate_half(const char *file) {
  if (rank == 0) {
    FILE *f = fopen(file, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    CHECK(truncate(file, n / 2) == 0, "truncate %s", file);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

// ---- the suite --------------------------------------------------------------------
static void test_roundtrip_and_keep(const char *root, Model *m) {
  char run[1024], dir[1100], path[1200], text[256];
  path_join(run, sizeof run, root, "run");
  path_join(dir, sizeof dir, run, "checkpoints");
  CHECK(save_step(run, m, 10, 2) == VDMC_OK, "save step 10: %s", vdmc_error_message());
  Loaded l;
  CHECK(load_whole(run, m, &l) == VDMC_OK, "load run dir: %s", vdmc_error_message());
  check_loaded(&l, m, 10, "whole arrays");
  CHECK(l.st.world_size == size, "world_size %d", l.st.world_size);
  CHECK(strstr(l.st.loaded_path, "step-00000010.h5") != NULL, "loaded %s", l.st.loaded_path);
  loaded_free(&l);

  // ZeRO-like: each rank loads a shard of a partition into a different number of pieces.
  size_t off, cnt;
  checkpoint_partition(m->table.total, size - 1 - rank, size, &off, &cnt);
  loaded_init(&l, m, off, cnt);
  path_join(path, sizeof path, dir, "step-00000010.h5");
  CHECK(checkpoint_load(path, MPI_COMM_WORLD, &l.st) == VDMC_OK, "load shards: %s", vdmc_error_message());
  check_loaded(&l, m, 10, "shards");
  loaded_free(&l);

  // keep-K and latest: after 20, 30, 40 with keep 2 only 30 and 40 remain.
  for (int64_t s = 20; s <= 40; s += 10) {
    CHECK(save_step(run, m, s, 2) == VDMC_OK, "save step %lld: %s", (long long)s, vdmc_error_message());
    char want[64];
    snprintf(want, sizeof want, "step-%08lld.h5\n", (long long)s);
    path_join(path, sizeof path, dir, "latest");
    CHECK(read_text(path, text, sizeof text) > 0 && !strcmp(text, want), "latest after %lld: '%s'",
          (long long)s, text);
    path_join(path, sizeof path, dir, "latest.tmp");
    CHECK(!exists(path), "latest.tmp left behind");
  }
  const char *gone[] = {"step-00000010.h5", "step-00000020.h5", "step-00000040.h5.tmp"};
  const char *kept[] = {"step-00000030.h5", "step-00000040.h5"};
  for (int i = 0; i < 3; i++) {
    path_join(path, sizeof path, dir, gone[i]);
    CHECK(!exists(path), "%s should be gone (keep 2)", gone[i]);
  }
  for (int i = 0; i < 2; i++) {
    path_join(path, sizeof path, dir, kept[i]);
    CHECK(exists(path), "%s should be kept", kept[i]);
  }
  path_join(path, sizeof path, dir, "latest");
  CHECK(load_whole(path, m, &l) == VDMC_OK, "load via latest: %s", vdmc_error_message());
  model_fill(m, 40);
  check_loaded(&l, m, 40, "latest");
  loaded_free(&l);
  CHECK(save_step(run, m, 50, 0) == VDMC_ERR_INPUT, "keep 0 rejected");
}

// Saves one checkpoint in its own run dir and returns the file's path.
static void fresh(const char *root, const char *name, Model *m, char *file, size_t cap) {
  char run[1024];
  path_join(run, sizeof run, root, name);
  CHECK(save_step(run, m, 7, 3) == VDMC_OK, "save %s: %s", name, vdmc_error_message());
  snprintf(file, cap, "%s/checkpoints/step-00000007.h5", run);
}

static void expect_load_error(const char *path, Model *m, int code, const char *needle, const char *what) {
  Loaded l;
  int s = load_whole(path, m, &l);
  CHECK(s == code, "%s: status %d, expected %d (%s)", what, s, code, vdmc_error_message());
  CHECK(strstr(vdmc_error_message(), needle) != NULL, "%s: message lacks '%s': %s", what, needle,
        vdmc_error_message());
  if (rank == 0) printf("  %s -> %s\n", what, vdmc_error_message());
  loaded_free(&l);
}

static void test_errors(const char *root, Model *m) {
  char file[1200];
  fresh(root, "version", m, file, sizeof file);
  set_format_version(file, 99);
  expect_load_error(file, m, VDMC_ERR_INPUT, "format_version 99", "wrong format version");

  fresh(root, "checksum", m, file, sizeof file);
  corrupt_dataset(file, "/arrays/adam_m", FRESH_RECORD);
  expect_load_error(file, m, VDMC_ERR_IO, "checksum mismatch in array 'adam_m'", "corrupt bytes, record resealed");

  fresh(root, "filesum", m, file, sizeof file);
  corrupt_dataset(file, "/arrays/adam_m", STALE_RECORD);
  expect_load_error(file, m, VDMC_ERR_IO, "is corrupt: CRC-32C of bytes 512-", "corrupt bytes");

  fresh(root, "truncated", m, file, sizeof file);
  truncate_half(file);
  expect_load_error(file, m, VDMC_ERR_IO, "is truncated: the file has", "truncated file");

  fresh(root, "shape", m, file, sizeof file);
  Model other;
  model_init(&other, 6);  // in.conv has 6 output channels instead of 8
  expect_load_error(file, &other, VDMC_ERR_INPUT, "'in.conv.weight' [6, 3, 3, 3]", "tensor shape mismatch");
  model_free(&other);

  Loaded l;
  loaded_init(&l, m, 0, m->table.total);
  strcpy(l.st.arrays[1].name, "ema_fast");
  int s = checkpoint_load(file, MPI_COMM_WORLD, &l.st);
  CHECK(s == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "'ema_fast'"), "missing array: %s",
        vdmc_error_message());
  loaded_free(&l);

  if (size > 1) {  // ranks that describe different states must not reach HDF5
    CheckpointState st;
    model_fill(m, 8);
    state_for_save(&st, m, 8);
    if (rank == 1) st.extras[2].n = NBINS - 1;
    char run[1100];
    snprintf(run, sizeof run, "%s/disagree", root);
    s = checkpoint_save(run, &st, 1, MPI_COMM_WORLD);
    CHECK(s == VDMC_ERR_INTERNAL && strstr(vdmc_error_message(), "ranks disagree"),
          "mismatched extras across ranks: %d %s", s, vdmc_error_message());
  }

  char missing[1300];
  snprintf(missing, sizeof missing, "%s/nothing-here.h5", root);
  expect_load_error(missing, m, VDMC_ERR_IO, "nothing-here.h5", "missing file");
}

static void test_fallback(const char *root, Model *m) {
  char run[1024], file[1200];
  path_join(run, sizeof run, root, "fallback");
  CHECK(save_step(run, m, 1, 3) == VDMC_OK && save_step(run, m, 2, 3) == VDMC_OK, "saves: %s",
        vdmc_error_message());
  snprintf(file, sizeof file, "%s/checkpoints/step-00000002.h5", run);
  corrupt_dataset(file, "/arrays/params", FRESH_RECORD);
  Loaded l;
  CHECK(load_whole(run, m, &l) == VDMC_OK, "fallback from corrupt newest: %s", vdmc_error_message());
  model_fill(m, 1);
  check_loaded(&l, m, 1, "fallback after checksum mismatch");
  loaded_free(&l);

  CHECK(save_step(run, m, 3, 3) == VDMC_OK, "save 3");
  snprintf(file, sizeof file, "%s/checkpoints/step-00000003.h5", run);
  truncate_half(file);
  CHECK(load_whole(run, m, &l) == VDMC_OK, "fallback from truncated newest: %s", vdmc_error_message());
  model_fill(m, 1);
  check_loaded(&l, m, 1, "fallback past truncated and corrupt");
  loaded_free(&l);

  // An explicit file never falls back.
  expect_load_error(file, m, VDMC_ERR_IO, "step-00000003.h5", "explicit broken file");

  // the whole-file record: a newest file whose bytes no longer match falls back alike
  CHECK(save_step(run, m, 4, 5) == VDMC_OK, "save 4");
  snprintf(file, sizeof file, "%s/checkpoints/step-00000004.h5", run);
  corrupt_dataset(file, "/arrays/params", STALE_RECORD);
  CHECK(load_whole(run, m, &l) == VDMC_OK, "fallback from a stale record: %s", vdmc_error_message());
  model_fill(m, 1);
  check_loaded(&l, m, 1, "fallback past a whole-file checksum mismatch");
  loaded_free(&l);
}

static void test_describe(const char *root, Model *m) {
  char file[1200], text[8192];
  fresh(root, "describe", m, file, sizeof file);
  if (rank == 0) {
    FILE *out = tmpfile();
    CHECK(checkpoint_describe(file, out) == VDMC_OK, "describe: %s", vdmc_error_message());
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    char want_ws[32];
    snprintf(want_ws, sizeof want_ws, "world_size: %d", size);
    const char *needles[] = {"step: 7\n", want_ws, "format_version: 2", "in.conv.weight", "[8, 3, 3, 3]",
                             "adam_v", "schedule_bin_value", "float64[100]", "ok", "config text"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
      CHECK(strstr(text, needles[i]) != NULL, "describe output lacks '%s':\n%s", needles[i], text);
    CHECK(strstr(text, "MISMATCH") == NULL, "describe of a good file reports a mismatch:\n%s", text);
    char run[1100];
    snprintf(run, sizeof run, "%s/describe", root);  // a run dir describes its latest
    out = tmpfile();
    CHECK(checkpoint_describe(run, out) == VDMC_OK, "describe run dir: %s", vdmc_error_message());
    rewind(out);
    n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    CHECK(strstr(text, "step-00000007.h5") != NULL, "describe of a run dir names its latest:\n%s", text);
  }
  corrupt_dataset(file, "/arrays/ema", FRESH_RECORD);  // the per-array CRCs it prints
  if (rank == 0) {
    FILE *out = tmpfile();
    CHECK(checkpoint_describe(file, out) == VDMC_ERR_IO, "describe of corrupt file must fail");
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = '\0';
    fclose(out);
    CHECK(strstr(text, "MISMATCH") != NULL, "describe names the mismatch:\n%s", text);
  }
}

static int run_suite(void) {
  char root[1024] = "";
  if (rank == 0) {
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/vdmc-ckpt-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(root)) root[0] = '\0';
  }
  MPI_Bcast(root, sizeof root, MPI_CHAR, 0, MPI_COMM_WORLD);
  CHECK(root[0] != '\0', "mkdtemp");
  if (root[0]) {
    Model m;
    model_init(&m, 8);
    test_roundtrip_and_keep(root, &m);
    test_errors(root, &m);
    test_fallback(root, &m);
    test_describe(root, &m);
    model_free(&m);
    // Every error path closed what it opened: no file or object handle is left.
    ssize_t open_ids = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
    CHECK(open_ids == 0, "%zd HDF5 file/object handles left open", open_ids);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
      char cmd[1100];
      snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
      CHECK(system(cmd) == 0, "cleanup %s", root);
    }
  }
  return 0;
}

// Reads DIR's latest at this number of ranks, whole and sharded; compares every byte.
static void run_read(const char *dir, int64_t step) {
  Model m;
  model_init(&m, 8);
  model_fill(&m, step);
  Loaded l;
  CHECK(load_whole(dir, &m, &l) == VDMC_OK, "load %s: %s", dir, vdmc_error_message());
  check_loaded(&l, &m, step, "whole arrays");
  if (rank == 0) printf("read %s at %d ranks: step %lld from %s (written by %d ranks)\n", dir, size,
                        (long long)l.st.step, l.st.loaded_path, l.st.world_size);
  loaded_free(&l);
  size_t off, cnt;
  checkpoint_partition(m.table.total, rank, size, &off, &cnt);
  loaded_init(&l, &m, off, cnt);
  CHECK(checkpoint_load(dir, MPI_COMM_WORLD, &l.st) == VDMC_OK, "load shards: %s", vdmc_error_message());
  check_loaded(&l, &m, step, "shards");
  loaded_free(&l);
  model_free(&m);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc == 4 && !strcmp(argv[1], "write")) {
    Model m;
    model_init(&m, 8);
    CHECK(save_step(argv[2], &m, atoll(argv[3]), 3) == VDMC_OK, "save: %s", vdmc_error_message());
    model_free(&m);
  } else if (argc == 4 && !strcmp(argv[1], "read")) {
    run_read(argv[2], atoll(argv[3]));
  } else if (argc == 1) {
    run_suite();
  } else {
    if (rank == 0) fprintf(stderr, "usage: test_checkpoint [write|read DIR STEP]\n");
    MPI_Finalize();
    return 2;
  }
  // Every rank's verdict counts: the exit status is non-zero if any rank failed.
  char suite[32];
  snprintf(suite, sizeof suite, "checkpoint rank %d/%d", rank, size);
  int mine = check_finish(suite), any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return any;
}
