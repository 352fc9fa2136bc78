// The worker pool behind par_for (see parallel.h). Workers are started on first use
// (threads - 1 of them; more if the count grows) and live until the process ends. One
// job at a time: the caller publishes (fn, ctx, n, align, threads), bumps the
// generation, runs part 0 and waits until every worker has reported.
#define _POSIX_C_SOURCE 200809L
#include "ops/parallel.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>

enum { PAR_SPIN = 2000 };  // ~50 us of pause instructions

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  int workers;           // started workers (ids 1..workers)
  atomic_ulong gen;      // job generation
  atomic_int pending;    // workers that have not finished the current job
  ParPartFn fn;
  void *ctx;
  size_t n, align;
  int threads;           // parts of the current job
  int fixed;             // par_set_threads value, 0 = the default
  int default_threads;   // OpenBLAS's count before the pool pinned it to 1
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
            .done = PTHREAD_COND_INITIALIZER};

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Once: take OpenBLAS's thread count as the default and pin OpenBLAS to one thread, so
// that every sgemm runs on the thread that calls it.
static void pool_take_blas_threads(void) {
  pool.default_threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
}

int par_max_threads(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, pool_take_blas_threads);
  int t = pool.fixed > 0 ? pool.fixed : pool.default_threads;
  return t < 1 ? 1 : t > PAR_MAX_THREADS ? PAR_MAX_THREADS : t;
}

int par_threads(size_t work) { return work < PAR_MIN_WORK ? 1 : par_max_threads(); }

void par_set_threads(int t) {
  par_max_threads();  // the default is taken before the first fixed count
  pool.fixed = t > 0 ? t : 0;
}

static void part_run(int i, int t) {
  size_t units = (pool.n + pool.align - 1) / pool.align;
  size_t lo = units * (size_t)i / (size_t)t * pool.align;
  size_t hi = units * (size_t)(i + 1) / (size_t)t * pool.align;
  if (hi > pool.n) hi = pool.n;
  if (lo < hi) pool.fn(pool.ctx, i, lo, hi);
}

static void *worker_main(void *arg) {
  int id = (int)(size_t)arg;
  unsigned long seen = 0;
  for (;;) {
    unsigned long g = atomic_load(&pool.gen);
    for (int s = 0; g == seen && s < PAR_SPIN; s++) {
      cpu_relax();
      g = atomic_load(&pool.gen);
    }
    if (g == seen) {
      pthread_mutex_lock(&pool.mu);
      while ((g = atomic_load(&pool.gen)) == seen) pthread_cond_wait(&pool.wake, &pool.mu);
      pthread_mutex_unlock(&pool.mu);
    }
    seen = g;
    if (id < pool.threads) part_run(id, pool.threads);
    if (atomic_fetch_sub(&pool.pending, 1) == 1) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
  }
  return NULL;
}

// Starts workers up to threads - 1; returns the parts that can run (fewer if a
// thread could not be created).
static int pool_grow(int threads) {
  while (pool.workers < threads - 1) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int st = pthread_create(&th, &attr, worker_main, (void *)(size_t)(pool.workers + 1));
    pthread_attr_destroy(&attr);
    if (st) break;
    pool.workers++;
  }
  return threads < pool.workers + 1 ? threads : pool.workers + 1;
}

void par_for_parts(size_t n, size_t align, size_t work, int max_parts, ParPartFn fn,
                   void *ctx) {
  int t = par_threads(work);
  if (t > max_parts) t = max_parts;
  if (t > 1) t = pool_grow(t);
  if (t <= 1 || n <= align) {
    if (n) fn(ctx, 0, 0, n);
    return;
  }
  pool.fn = fn;
  pool.ctx = ctx;
  pool.n = n;
  pool.align = align ? align : 1;
  pool.threads = t;
  atomic_store(&pool.pending, pool.workers);
  pthread_mutex_lock(&pool.mu);
  atomic_fetch_add(&pool.gen, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  part_run(0, t);
  for (int s = 0; atomic_load(&pool.pending) > 0 && s < PAR_SPIN; s++) cpu_relax();
  if (atomic_load(&pool.pending) > 0) {
    pthread_mutex_lock(&pool.mu);
    while (atomic_load(&pool.pending) > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
  }
}

typedef struct {
  ParFn fn;
  void *ctx;
} PlainJob;

static void plain_part(void *ctx, int part, size_t lo, size_t hi) {
  (void)part;
  const PlainJob *j = ctx;
  j->fn(j->ctx, lo, hi);
}

void par_for(size_t n, size_t align, size_t work, ParFn fn, void *ctx) {
  PlainJob j = {fn, ctx};
  par_for_parts(n, align, work, PAR_MAX_THREADS, plain_part, &j);
}
