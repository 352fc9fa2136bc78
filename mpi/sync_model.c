#include "mpi/sync_model.h"

#include <math.h>

double sync_model_next_call(const SyncProgress *p, double t) {
  if (t >= p->end) return t;
  for (int j = 0; j < p->n; j++)
    if (p->calls[j] >= t) return p->calls[j];
  return p->end;
}

// When each direction of rank 0's link has sent what was handed to it, and the tokens
// its bucket held then: [0] into rank 0 (the reduce), [1] out of it (the broadcast).
// Each direction sends in the order handed.
typedef struct {
  double free[2], tokens[2];
} Wire;

// `bytes` handed to direction `dir` at `at`: when the last of them has arrived. The
// bucket refills at beta while the direction is idle, up to burst_bytes; the bytes it
// covers pass at once, the rest at beta.
static double wire_send(Wire *w, int dir, double at, double bytes, const SyncLink *l) {
  double start = fmax(at, w->free[dir]);
  double tokens = fmin(l->burst_bytes, w->tokens[dir] + (start - w->free[dir]) * l->beta);
  double paced = fmax(0, bytes - tokens);
  w->tokens[dir] = tokens - (bytes - paced);
  w->free[dir] = start + paced / l->beta;
  return w->free[dir] + l->alpha;
}

// One round: a message of `bytes` over direction `dir`, both ranks entering it at the
// call time `at`; returns the call in which the receiver sees it complete.
static double round_done(Wire *w, int dir, double at, double bytes, const SyncLink *l, const SyncProgress *p) {
  if (bytes <= l->eager_bytes) return sync_model_next_call(p, wire_send(w, dir, at, bytes, l));
  // Rendezvous: the first fragment is matched in a call of the receiver, which sends
  // the acknowledgement back; the sender sees it in a call and hands over the rest.
  double matched = sync_model_next_call(p, wire_send(w, dir, at, l->eager_bytes, l));
  double acked = sync_model_next_call(p, wire_send(w, !dir, matched, 0, l));
  return sync_model_next_call(p, wire_send(w, dir, acked, bytes - l->eager_bytes, l));
}

static int ceil_log2(int P) {
  int r = 0;
  while ((1 << r) < P) r++;
  return r;
}

double sync_model_tree_finish(const double *bytes, const double *launch, int n, int P, const SyncLink *l,
                              const SyncProgress *p) {
  if (P < 2) return 0;
  Wire w = {{0, 0}, {l->burst_bytes, l->burst_bytes}};  // idle links start with full buckets
  int rounds = ceil_log2(P);
  double finish = 0;
  // Buckets in launch order: each direction carries them in that order (FIFO), so a
  // bucket's rounds never wait for a later bucket's.
  for (int i = 0; i < n; i++) {
    double t = sync_model_next_call(p, launch[i]);
    for (int r = 0; r < rounds; r++) t = round_done(&w, 0, t, bytes[i], l, p);
    for (int r = 0; r < rounds; r++) t = round_done(&w, 1, t, bytes[i], l, p);
    finish = fmax(finish, t);
  }
  return finish;
}

// One round of the pair ring: `bytes` each way at once from the call `at` (rank 1 to
// rank 0 over direction 0, rank 0 to rank 1 over direction 1); returns the call in which
// both have arrived. A rendezvous message sends its first fragment each way; both
// ranks match in a call and acknowledge (the acknowledgement queues behind what its
// direction already carries), both see the acknowledgement in a call and hand over the
// rest.
static double exchange_done(Wire *w, double at, double bytes, const SyncLink *l, const SyncProgress *p) {
  double first = fmin(bytes, l->eager_bytes);
  double arrived = fmax(wire_send(w, 0, at, first, l), wire_send(w, 1, at, first, l));
  if (bytes <= l->eager_bytes) return sync_model_next_call(p, arrived);
  double matched = sync_model_next_call(p, arrived);
  double acked = sync_model_next_call(p, fmax(wire_send(w, 0, matched, 0, l), wire_send(w, 1, matched, 0, l)));
  double rest = bytes - l->eager_bytes;
  return sync_model_next_call(p, fmax(wire_send(w, 0, acked, rest, l), wire_send(w, 1, acked, rest, l)));
}

double sync_model_pair_ring_finish(const double *bytes, const double *launch, int n, const SyncLink *l,
                                   const SyncProgress *p) {
  Wire w = {{0, 0}, {l->burst_bytes, l->burst_bytes}};
  double finish = 0;
  for (int i = 0; i < n; i++) {
    double half = bytes[i] / 2;  // libnbc's two segments (one element apart when odd: ignored)
    double t = exchange_done(&w, sync_model_next_call(p, launch[i]), half, l, p);  // reduce-scatter
    finish = fmax(finish, exchange_done(&w, t, half, l, p));                      // all-gather
  }
  return finish;
}

double sync_model_iallreduce_finish(const double *bytes, const double *launch, int n, int P, const SyncLink *l,
                                    const SyncProgress *p) {
  if (P == 2) return sync_model_pair_ring_finish(bytes, launch, n, l, p);
  return sync_model_tree_finish(bytes, launch, n, P, l, p);
}

// coll/tuned 4.1's fixed decision for MPI_Reduce_scatter_block with a commutative op
// picks basic_linear (a reduce to rank 0, then a scatter) in these bands of the
// per-rank block; elsewhere recursive halving or butterfly.
static int reduce_scatter_is_linear(double block, int P) {
  if (P < 4) return block >= 131072;
  if (P < 8) return block >= 1048576;
  if (P < 16) return block >= 524288 && block < 4194304;
  if (P < 32) return block >= 524288 && block < 2097152;
  return block >= 65536 && block < 262144;
}

double sync_model_reduce_scatter_seconds(double bytes, int P, const SyncLink *l) {
  if (P < 2) return 0;
  double share = (double)(P - 1) / P * bytes / l->beta;  // what a bandwidth-optimal algorithm moves per link
  if (!reduce_scatter_is_linear(bytes / P, P)) return ceil_log2(P) * l->alpha + share;
  // The reduce of the whole buffer (coll/tuned below 8 ranks: an unsegmented pipeline
  // or a linear reduce, P - 1 whole buffers in sequence; from 8 a binomial tree), then
  // rank 0 sends each rank its block.
  int reduce_steps = P < 8 ? P - 1 : ceil_log2(P);
  return reduce_steps * (l->alpha + bytes / l->beta) + (P - 1) * l->alpha + share;
}

double sync_model_allgather_seconds(double bytes, int P, const SyncLink *l) {
  if (P < 2) return 0;
  // coll/tuned 4.1: ring or neighbour exchange from 32 ranks (each rank sends to one
  // neighbour, receives from the other); below, two_procs at P = 2, recursive doubling
  // at powers of two, Bruck otherwise: ceil(log2 P) steps, step j moving min(2^j, P - 2^j)
  // blocks. All move (P - 1) / P of the buffer over each link.
  if (P >= 32) return (P - 1) * l->alpha + (double)(P - 1) / P * bytes / l->beta;
  // two_procs and recursive doubling exchange with ONE peer, whose TCP connection carries
  // both directions: a rank's rendezvous acknowledgement of the peer's message is
  // written into the stream behind its own message's bulk, so the peer's bulk starts
  // only when that has passed. Measured on the cluster fixture at P = 2 (bench_zero1,
  // docs/scaling.md "ZeRO-1 against its runs"): the median exchange is two transfers on
  // the rank that waits for it, one with eager messages (btl_tcp_eager_limit above the
  // block); the fastest of 15 is one. Bruck sends to one rank and receives from another.
  int same_peer = (P & (P - 1)) == 0;
  double block = bytes / P, t = 0;
  for (int d = 1; d < P; d *= 2) {
    double m = (d < P - d ? d : P - d) * block;
    t += l->alpha + (same_peer && m > l->eager_bytes ? 2 : 1) * m / l->beta;
  }
  return t;
}
