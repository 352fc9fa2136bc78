// mpi/sync_model: timelines worked out by hand (in the comments) on a link of
// alpha = 1 ms, beta = 1 MB/s, eager limit 1000 bytes, so each formula of the model
// (docs/scaling.md, "The model") is checked with numbers.
#include "check.h"
#include "mpi/sync_model.h"

static const SyncLink lk = {1e-3, 1e6, 1000, 0};
static const SyncProgress always = {0, 0, 0};  // a progress thread: continuous

static void next_call(void) {
  double calls[] = {0.1, 0.2};
  SyncProgress p = {calls, 2, 0.5};
  CHECK(sync_model_next_call(&p, 0.05) == 0.1, "before the first poll: the first poll");
  CHECK(sync_model_next_call(&p, 0.1) == 0.1, "at a poll: that poll");
  CHECK(sync_model_next_call(&p, 0.15) == 0.2, "between polls: the next");
  CHECK(sync_model_next_call(&p, 0.3) == 0.5, "after the last poll: the final wait");
  CHECK(sync_model_next_call(&p, 0.7) == 0.7, "in the final wait: at once");
  CHECK(sync_model_next_call(&always, 0.3) == 0.3, "progress thread: at once");
}

// One eager bucket of 500 bytes at P = 2, launched when backward ends (t = 1): reduce
// 1 + 0.5 ms + 1 ms = 1.0015, broadcast 1.0015 + 1.5 ms = 1.003: 2 (alpha + n / beta).
static void one_bucket(void) {
  double bytes[] = {500}, launch[] = {1.0};
  SyncProgress p = {0, 0, 1.0};
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 1, 2, &lk, &p), 1.003, 0, 1e-12, "one bucket, P = 2");
  // P = 3: ceil(log2 3) = 2 rounds each way, all over rank 0's link: 4 (alpha + n / beta).
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 1, 3, &lk, &p), 1.006, 0, 1e-12, "one bucket, P = 3");
  CHECK(sync_model_tree_finish(bytes, launch, 1, 1, &lk, &p) == 0, "one rank: nothing to sum");
}

// Polls at 0.1 and 0.2, backward ends at 0.5. Bucket A (500 B) launched at 0.1:
// its reduce arrives at 0.1015, seen at the poll 0.2; its broadcast arrives 0.2015,
// seen at 0.5. Bucket B (500 B) launched at 0.2: reduce arrives 0.2015 (the inbound
// direction was free since 0.1005), seen at 0.5; broadcast from 0.5 (outbound free
// since 0.2005) arrives 0.5015 in the final wait: 1.5 ms exposed, where taking all of
// it as exposed would say 4 x 1.5 = 6 ms.
static void two_buckets_between_polls(void) {
  double bytes[] = {500, 500}, launch[] = {0.1, 0.2}, calls[] = {0.1, 0.2};
  SyncProgress p = {calls, 2, 0.5};
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 2, 2, &lk, &p), 0.5015, 0, 1e-12, "two buckets, polls");
  // With a progress thread both are done long before: A at 0.103, B's reduce waits
  // for nothing (inbound free at 0.1005) and arrives 0.2015, its broadcast 0.203.
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 2, 2, &lk, &always), 0.203, 0, 1e-12, "two buckets, thread");
}

// A 3000-byte bucket (> the eager limit) launched at the poll 0, polls at 0.01, 0.02, 0.03,
// backward ends at 0.05. Reduce: first fragment (1000 B) arrives 0.002, matched at the
// poll 0.01; the acknowledgement arrives 0.011, seen at 0.02; the other 2000 B arrive
// 0.023, seen at 0.03. Broadcast: first fragment arrives 0.032, matched at 0.05; the
// acknowledgement (inbound free since 0.022) arrives 0.051, seen at once; the rest
// arrives 0.051 + 2 ms + 1 ms = 0.054.
static void rendezvous(void) {
  double bytes[] = {3000}, launch[] = {0}, calls[] = {0, 0.01, 0.02, 0.03};
  SyncProgress p = {calls, 4, 0.05};
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 1, 2, &lk, &p), 0.054, 0, 1e-12, "rendezvous, polls");
  // Continuous progress: each round is 3 alpha + n / beta (fragment, ack, rest): 0.012.
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 1, 2, &lk, &always), 0.012, 0, 1e-12, "rendezvous, thread");
}

// A token bucket of 2000 bytes (a shaped link), eager buckets of 500 B, a thread. A at
// 0.1: its reduce passes at once (the bucket is full), arriving 0.1 + alpha = 0.101, its
// broadcast 0.102. B at 0.2: the inbound bucket held 1500 B and refilled at 1 MB/s for
// 0.1 s, capped at 2000: at once again, 0.202.
static void token_bucket(void) {
  SyncLink shaped = lk;
  shaped.burst_bytes = 2000;
  double bytes[] = {500, 500}, launch[] = {0.1, 0.2};
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 2, 2, &shaped, &always), 0.202, 0, 1e-12, "burst, idle link");
  // Back to back at 0: A's reduce takes the inbound bucket to 1500, B's to 1000, both at
  // once; the broadcasts likewise: B done at 2 alpha = 0.002.
  double now[] = {0, 0};
  CHECK_CLOSE(sync_model_tree_finish(bytes, now, 2, 2, &shaped, &always), 0.002, 0, 1e-12, "burst, back to back");
  // Six buckets at 0: four reduces empty the inbound bucket, the fifth and sixth are
  // paced (0.5 ms each: the sixth arrives 1 ms + alpha = 0.002). The outbound bucket is
  // empty after four broadcasts too, but it refills while it waits for the reduces: the
  // fifth broadcast (at 0.0015) finds the 500 B of the 0.5 ms idle since the fourth's,
  // the sixth (at 0.002) another 500: both at once, the sixth arriving 0.003.
  double six[] = {500, 500, 500, 500, 500, 500}, zeros[6] = {0};
  CHECK_CLOSE(sync_model_tree_finish(six, zeros, 6, 2, &shaped, &always), 0.003, 0, 1e-12, "burst, emptied");
}

// libnbc's ring at P = 2: each bucket is two rounds of half of it each way at once.
// A 1000-byte bucket launched when backward ends (t = 1): 500 B each way, arriving
// 1 + 0.5 ms + 1 ms = 1.0015, then the summed halves, 1.003; the tree takes 1.004
// (1000 B one way, then back: 2 (alpha + 1 ms)).
static void pair_ring(void) {
  double bytes[] = {1000}, launch[] = {1.0};
  SyncProgress p = {0, 0, 1.0};
  CHECK_CLOSE(sync_model_pair_ring_finish(bytes, launch, 1, &lk, &p), 1.003, 0, 1e-12, "ring, eager halves");
  CHECK_CLOSE(sync_model_tree_finish(bytes, launch, 1, 2, &lk, &p), 1.004, 0, 1e-12, "tree, the same bucket");
  CHECK(sync_model_iallreduce_finish(bytes, launch, 1, 2, &lk, &p) == sync_model_pair_ring_finish(bytes, launch, 1, &lk, &p),
        "grad_sync's algorithm at P = 2: the ring");
  CHECK(sync_model_iallreduce_finish(bytes, launch, 1, 3, &lk, &p) == sync_model_tree_finish(bytes, launch, 1, 3, &lk, &p),
        "at P = 3: the tree");
  // A 6000-byte bucket (3000 B halves, rendezvous) launched at the poll 0, polls at 0.01,
  // 0.02, 0.03, backward ends at 0.05. Reduce-scatter: the first fragments (1000 B each
  // way) arrive 0.002, matched at 0.01; the acknowledgements arrive 0.011, seen at
  // 0.02; the rests (2000 B) arrive 0.023, seen at 0.03. All-gather: fragments arrive
  // 0.032, matched at 0.05; acknowledgements 0.051; rests 0.051 + 2 ms + 1 ms = 0.054.
  double big[] = {6000}, zero[] = {0}, calls[] = {0, 0.01, 0.02, 0.03};
  SyncProgress polls = {calls, 4, 0.05};
  CHECK_CLOSE(sync_model_pair_ring_finish(big, zero, 1, &lk, &polls), 0.054, 0, 1e-12, "ring, rendezvous, polls");
  // Continuous progress: each round 3 alpha + 3000 B / beta = 6 ms.
  CHECK_CLOSE(sync_model_pair_ring_finish(big, zero, 1, &lk, &always), 0.012, 0, 1e-12, "ring, rendezvous, thread");
}

// ZeRO-1 at P = 2 and 3 (coll/tuned: basic linear = reduce to rank 0, then scatter).
static void zero1(void) {
  // P = 2, 2.7 MB (blocks of 1.35 MB): reduce alpha + B/beta, scatter alpha + B/(2 beta).
  CHECK_CLOSE(sync_model_reduce_scatter_seconds(2.7e6, 2, &lk), 2e-3 + 1.5 * 2.7, 1e-12, 0, "reduce-scatter P = 2");
  // P = 3, 3 MB: an unsegmented pipeline 2 -> 1 -> 0, 2 (alpha + B/beta), then 2 blocks.
  CHECK_CLOSE(sync_model_reduce_scatter_seconds(3e6, 3, &lk), 4e-3 + 3.0 * 8 / 3, 1e-12, 0, "reduce-scatter P = 3");
  // Blocks under 128 KiB at P = 2: butterfly, alpha + B / (2 beta).
  CHECK_CLOSE(sync_model_reduce_scatter_seconds(1e5, 2, &lk), 1e-3 + 0.05, 1e-12, 0, "reduce-scatter small");
  // All-gather: two_procs at P = 2, one exchange of 1 MB halves, rendezvous (above the
  // 1000 B eager limit): each rank's acknowledgement leaves behind its own 1 MB, so the
  // halves pass one after the other, alpha + 2 x 1 s; eager halves of 500 B cross at
  // once, alpha + 0.5 ms.
  CHECK_CLOSE(sync_model_allgather_seconds(2e6, 2, &lk), 1e-3 + 2.0, 1e-12, 0, "all-gather P = 2");
  CHECK_CLOSE(sync_model_allgather_seconds(1e3, 2, &lk), 1e-3 + 5e-4, 1e-12, 0, "all-gather P = 2, eager");
  // Recursive doubling at 4, 4 MB: 1 MB with the partner, then 2 MB with the next, each
  // serialized: 2 alpha + 2 x 1 s + 2 x 2 s.
  CHECK_CLOSE(sync_model_allgather_seconds(4e6, 4, &lk), 2e-3 + 6.0, 1e-12, 0, "all-gather P = 4");
  // Bruck at 3, 3 MB: 1 block to one rank while one comes from the other, twice: 2 alpha + 2 s.
  CHECK_CLOSE(sync_model_allgather_seconds(3e6, 3, &lk), 2e-3 + 2.0, 1e-12, 0, "all-gather P = 3");
  CHECK_CLOSE(sync_model_allgather_seconds(64e6, 64, &lk), 63e-3 + 63.0, 1e-12, 0, "all-gather P = 64");
}

int main(void) {
  next_call();
  one_bucket();
  two_buckets_between_polls();
  rendezvous();
  token_bucket();
  pair_ring();
  zero1();
  return check_finish("sync_model");
}
