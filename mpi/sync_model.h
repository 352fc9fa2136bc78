// A model of how long grad_sync's collectives take on a network, for the algorithms
// Open MPI 4.1 runs for them over TCP (profiling/scaling_model, docs/scaling.md "The
// model"). Pure arithmetic: no MPI call, seconds and bytes in float64.
//
// zero_stage 0: each bucket is an in-place MPI_Iallreduce, which coll/libnbc runs as a
// binomial reduce to rank 0 then a binomial broadcast: 2 ceil(log2 P) rounds, each one
// whole-bucket message over rank 0's link, into rank 0 for the reduce and out of it for
// the broadcast. A round advances only inside an MPI call of the ranks involved: the
// polls grad_sync makes while backward runs (mpi.progress: calls), continuously with a
// progress thread or in grad_sync_finish's wait. A message above the eager limit is a
// rendezvous: its first fragment (eager_bytes) and header, matched by the receiver in
// a call, whose acknowledgement the sender sees in a call before it hands the rest to
// the socket. Bytes handed to the socket flow at the link's rate while the ranks compute.
// A link shaped by a token bucket (the cluster fixture's tc tbf, tests/cluster/shape.sh)
// also lets the first burst_bytes of a message through at once when that direction has
// been idle long enough to refill its bucket (burst_bytes / beta).
//
// At P = 2 vdmc runs libnbc's ring instead (mpi/iallreduce_algorithm.h): per bucket two
// rounds, each a message of half the bucket each way at once (a reduce-scatter, then an
// all-gather of the summed halves); each round completes when both messages have arrived,
// in a call, and a rendezvous is matched and acknowledged on both ranks alike.
//
// zero_stage 1: MPI_Reduce_scatter_block and MPI_Allgather, blocking, after backward
// (coll/tuned's fixed decision functions pick the algorithm; see the functions below).
#ifndef VDMC_MPI_SYNC_MODEL_H
#define VDMC_MPI_SYNC_MODEL_H

typedef struct {
  double alpha;        // seconds per message
  double beta;         // bytes per second, in each direction of a node's link
  double eager_bytes;  // larger messages take the rendezvous handshake
  double burst_bytes;  // a token bucket's depth (0: a plain link paced at beta throughout)
} SyncLink;

// Open MPI's TCP BTL: btl_tcp_eager_limit (and its rendezvous first fragment) of 64 KiB.
enum { SYNC_MODEL_TCP_EAGER_BYTES = 65536 };

// When a rank is inside an MPI call: at calls[0..n) (ascending, the polls of backward)
// and from `end` on (grad_sync_finish waits); n = 0 and end = 0: always (a progress
// thread polling every GRAD_SYNC_POLL_US, taken as continuous).
typedef struct {
  const double *calls;
  int n;
  double end;
} SyncProgress;

// The first time >= t a rank is inside an MPI call.
double sync_model_next_call(const SyncProgress *p, double t);

// When the last bucket's allreduce has completed on every rank: bucket i of bytes[i]
// launched at launch[i] (ascending, each a call time), over P ranks.
double sync_model_tree_finish(const double *bytes, const double *launch, int n, int P, const SyncLink *l,
                              const SyncProgress *p);

// The same for libnbc's ring at P = 2.
double sync_model_pair_ring_finish(const double *bytes, const double *launch, int n, const SyncLink *l,
                                   const SyncProgress *p);

// What grad_sync runs: the ring at P = 2, the tree otherwise.
double sync_model_iallreduce_finish(const double *bytes, const double *launch, int n, int P, const SyncLink *l,
                                    const SyncProgress *p);

// MPI_Reduce_scatter_block(MPI_IN_PLACE) of `bytes` in all (bytes / P per rank), commutative op.
double sync_model_reduce_scatter_seconds(double bytes, int P, const SyncLink *l);

// MPI_Allgather of `bytes` in all (bytes / P from each rank): when the last rank has it,
// the exchange of rendezvous messages with one peer taking two transfers (see the .c).
double sync_model_allgather_seconds(double bytes, int P, const SyncLink *l);

#endif
