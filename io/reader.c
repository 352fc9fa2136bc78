// Sharded prefetching reader (contract and order in reader.h, docs/data.md).
#define _POSIX_C_SOURCE 200809L
#include "io/reader.h"

#include "core/pixels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "io/h5_check.h"

#define FEISTEL_ROUNDS 6

// Bijection of [0, 4^half) keyed by (seed, epoch): a balanced Feistel network whose
// round function is the RNG_DATA_ORDER stream at (step = epoch, example = right half).
static uint64_t feistel(uint64_t x, unsigned half, uint64_t seed, uint64_t epoch) {
  const uint64_t mask = (1ull << half) - 1;
  uint64_t l = x >> half, r = x & mask;
  for (uint32_t k = 0; k < FEISTEL_ROUNDS; k++) {
    RngStream s = {seed, RNG_DATA_ORDER, k, epoch, r};
    uint64_t f = (uint64_t)(rng_uniform_double(&s, 0) * 4294967296.0) & mask;
    uint64_t t = l ^ f;
    l = r;
    r = t;
  }
  return l << half | r;
}

// Cycle walking restricts the Feistel bijection of [0, 4^half) to [0, n): apply it
// until the value lands in [0, n). 4^half < 4n, so fewer than 4 rounds on average.
uint64_t reader_index(uint64_t seed, uint64_t n, uint64_t slot) {
  uint64_t epoch = slot / n, x = slot % n;
  unsigned half = 1;
  while (half < 32 && (1ull << (2 * half)) < n) half++;
  do x = feistel(x, half, seed, epoch);
  while (x >= n);
  return x;
}

int reader_flip(uint64_t seed, uint64_t step, uint64_t i) {
  RngStream s = {seed, RNG_FLIP, 0, step, i};
  float u;
  rng_uniform(&u, 1, &s, 0);
  return u < 0.5f;
}

typedef struct {
  uint64_t index;
  size_t slot;
} SlotIndex;

struct Reader {
  Dataset ds;
  ReaderConfig cfg;
  size_t lo, b, example;  // local slots [lo, lo + b) of each step, bytes per example
  // batch buffers, all O(b): raw unique examples, the converted batch, its indices
  uint8_t *raw;         // (b, H, W, C)
  SlotIndex *order;     // (b) slots sorted by dataset index
  size_t *run_start, *run_len;  // (<= b) runs of consecutive unique indices
  size_t *where;        // (b) position of each sorted slot among the unique examples
  float *images;        // (b, H, W, C) prefetched batch
  int32_t *labels, *raw_labels;
  uint64_t *indices, *last_indices;
  // prefetch thread state, guarded by mu
  pthread_t thread;
  int has_thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t step;        // the step the buffers hold (or are being filled with)
  int requested, ready, stop, fetch_status;
  char fetch_error[1024];
};

static int by_index(const void *a, const void *b) {
  uint64_t x = ((const SlotIndex *)a)->index, y = ((const SlotIndex *)b)->index;
  return x < y ? -1 : x > y;
}

// uint8 pixels to bin centres in (-1, 1) (core/pixels.h).
static void to_unit_range(float *out, const uint8_t *in, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = pixel_to_unit(in[i]);
}

// Mirrors a row of w pixels of c floats in place (horizontal flip).
static void mirror_row(float *row, size_t w, size_t c) {
  for (size_t x = 0; x < w / 2; x++)
    for (size_t ch = 0; ch < c; ch++) {
      float t = row[x * c + ch];
      row[x * c + ch] = row[(w - 1 - x) * c + ch];
      row[(w - 1 - x) * c + ch] = t;
    }
}

// Reads the local slots of `step` into images (b, H, W, C), labels (b) and
// indices (b): sorts the
// dataset indices, coalesces consecutive ones into runs (one hyperslab each), reads
// the unique examples once, then scatters them to slot order with flip and scaling.
static int fetch_step(Reader *r, uint64_t step, float *images, int32_t *labels, uint64_t *indices) {
  const uint64_t n = r->ds.n;
  for (size_t j = 0; j < r->b; j++) {
    uint64_t g = step * r->cfg.global_batch + r->lo + j;
    r->order[j] = (SlotIndex){reader_index(r->cfg.seed, n, g), j};
    indices[j] = r->order[j].index;
  }
  qsort(r->order, r->b, sizeof *r->order, by_index);
  size_t runs = 0, unique = 0;
  size_t *where = r->where;
  for (size_t k = 0; k < r->b; k++) {
    uint64_t x = r->order[k].index;
    if (unique && r->run_start[runs - 1] + r->run_len[runs - 1] - 1 == x) {  // duplicate (batch spans epochs)
      where[k] = unique - 1;
      continue;
    }
    if (runs && r->run_start[runs - 1] + r->run_len[runs - 1] == x) r->run_len[runs - 1]++;
    else r->run_start[runs] = x, r->run_len[runs++] = 1;
    where[k] = unique++;
  }
  int status = dataset_read_runs(&r->ds, r->run_start, r->run_len, runs, r->raw, r->raw_labels);
  if (status) return status;
  const size_t h = r->ds.h, w = r->ds.w, c = r->ds.c;
  for (size_t k = 0; k < r->b; k++) {
    size_t j = r->order[k].slot;
    const uint8_t *src = r->raw + where[k] * r->example;
    float *dst = images + j * r->example;
    to_unit_range(dst, src, r->example);
    if (r->cfg.flip && reader_flip(r->cfg.seed, step, r->lo + j))
      for (size_t y = 0; y < h; y++) mirror_row(dst + y * w * c, w, c);
    labels[j] = r->raw_labels[where[k]];
  }
  return VDMC_OK;
}

static void *reader_thread(void *arg) {
  Reader *r = arg;
  pthread_mutex_lock(&r->mu);
  for (;;) {
    while (!r->stop && !r->requested) pthread_cond_wait(&r->cv, &r->mu);
    if (r->stop) break;
    uint64_t step = r->step;
    pthread_mutex_unlock(&r->mu);
    int status = fetch_step(r, step, r->images, r->labels, r->indices);
    pthread_mutex_lock(&r->mu);
    r->fetch_status = status;
    if (status) snprintf(r->fetch_error, sizeof r->fetch_error, "%s", vdmc_error_message());
    r->requested = 0;
    r->ready = 1;
    pthread_cond_broadcast(&r->cv);
  }
  pthread_mutex_unlock(&r->mu);
  return NULL;
}

static int alloc_buffers(Reader *r) {
  size_t b = r->b ? r->b : 1;
  r->raw = malloc(b * r->example);
  size_t pb = r->cfg.prefetch ? b : 0;  // the prefetched batch exists only with the thread
  r->images = malloc(pb * r->example * sizeof *r->images + 1);
  r->order = malloc(b * sizeof *r->order);
  r->run_start = malloc(b * sizeof *r->run_start);
  r->run_len = malloc(b * sizeof *r->run_len);
  r->where = malloc(b * sizeof *r->where);
  r->labels = malloc(pb * sizeof *r->labels + 1);
  r->raw_labels = malloc(b * sizeof *r->raw_labels);
  r->indices = malloc(pb * sizeof *r->indices + 1);
  r->last_indices = malloc(b * sizeof *r->last_indices);
  if (!r->raw || !r->images || !r->order || !r->run_start || !r->run_len || !r->where || !r->labels || !r->raw_labels ||
      !r->indices || !r->last_indices)
    return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for a local batch of %zu", r->cfg.path, r->b);
  return VDMC_OK;
}

int reader_open(Reader **out, const ReaderConfig *cfg, uint64_t first_step) {
  *out = NULL;
  int status = VDMC_OK, rank = 0, size = 1, level = 0;
  if (cfg->global_batch < 1) return vdmc_fail(VDMC_ERR_INPUT, "%s: global batch must be >= 1", cfg->path);
  MPI_CHECK(MPI_Comm_rank(cfg->comm, &rank), "%s: reader", cfg->path);
  MPI_CHECK(MPI_Comm_size(cfg->comm, &size), "%s: reader", cfg->path);
  MPI_CHECK(MPI_Query_thread(&level), "%s: reader", cfg->path);
  if (cfg->prefetch && level < MPI_THREAD_MULTIPLE)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "%s: the prefetching reader needs MPI_Init_thread(..., MPI_THREAD_MULTIPLE) (provided level "
                     "%d): its thread makes MPI-IO calls while training runs collectives",
                     cfg->path, level);
  Reader *r = calloc(1, sizeof *r);
  if (!r) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", cfg->path);
  r->cfg = *cfg;
  r->lo = (size_t)rank * cfg->global_batch / (size_t)size;
  r->b = ((size_t)rank + 1) * cfg->global_batch / (size_t)size - r->lo;
  r->step = first_step;
  if ((status = dataset_open(&r->ds, cfg->path, cfg->comm))) {
    free(r);
    return status;
  }
  r->example = r->ds.h * r->ds.w * r->ds.c;
  if (r->ds.n >= (1ull << 32)) status = vdmc_fail(VDMC_ERR_INPUT, "%s: more than 2^32 examples", cfg->path);
  if (!status) status = alloc_buffers(r);
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  if (!status && cfg->prefetch) {
    r->requested = 1;
    if (pthread_create(&r->thread, NULL, reader_thread, r) != 0)
      status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: cannot start the reader thread", cfg->path);
    else r->has_thread = 1;
  }
  if (status) {
    reader_close(r);
    return status;
  }
  *out = r;
  return VDMC_OK;
cleanup:
  return status;
}

int reader_next(Reader *r, float *images, int32_t *labels) {
  if (!r->has_thread) return fetch_step(r, r->step++, images, labels, r->last_indices);
  pthread_mutex_lock(&r->mu);
  while (!r->ready) pthread_cond_wait(&r->cv, &r->mu);
  int status = r->fetch_status;
  if (status) {  // reported again by every later call; a failed step is not retried
    vdmc_fail(status, "%s", r->fetch_error);
  } else {
    memcpy(images, r->images, r->b * r->example * sizeof *images);
    memcpy(labels, r->labels, r->b * sizeof *labels);
    memcpy(r->last_indices, r->indices, r->b * sizeof *r->indices);
    r->ready = 0;  // start the next step
    r->step++;
    r->requested = 1;
    pthread_cond_broadcast(&r->cv);
  }
  pthread_mutex_unlock(&r->mu);
  return status;
}

void reader_quiesce(Reader *r) {
  if (!r || !r->has_thread) return;
  pthread_mutex_lock(&r->mu);
  while (r->requested) pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
}

void reader_close(Reader *r) {
  if (!r) return;
  if (r->has_thread) {
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
  }
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  dataset_close(&r->ds);
  free(r->raw), free(r->images), free(r->order), free(r->run_start), free(r->run_len), free(r->where);
  free(r->labels), free(r->raw_labels), free(r->indices), free(r->last_indices);
  free(r);
}

size_t reader_local_batch(const Reader *r) { return r->b; }
size_t reader_first_slot(const Reader *r) { return r->lo; }
const Dataset *reader_dataset(const Reader *r) { return &r->ds; }
const uint64_t *reader_last_indices(const Reader *r) { return r->last_indices; }
