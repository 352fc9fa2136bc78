// Which algorithm the gradient sum's MPI_Iallreduce runs (docs/mpi.md, "The allreduce's
// algorithm").
//
// Open MPI 4.1's coll/libnbc runs an in-place MPI_Iallreduce as a binomial reduce to
// rank 0 followed by a binomial broadcast. At P = 2 that sends the whole bucket one way
// and then its sum back: the two directions of the link take turns, and over TCP the
// broadcast is held back by its congestion window while the next bucket's reduce fills
// the other direction (docs/cluster.md). libnbc's ring at P = 2 sends half the bucket
// each way at once and then each half's sum back: the same bytes per direction, both
// directions busy from the start, and the same sums bit for bit (each element is one
// a + b, which IEEE addition gives alike in either order). So at P = 2 vdmc asks for the
// ring through the MPI tool interface (control variable coll_libnbc_iallreduce_algorithm,
// value 1), unless something chose an algorithm already (the variable is not 0: the
// environment's OMPI_MCA_coll_libnbc_iallreduce_algorithm, mpirun --mca, an MCA
// parameter file). At P >= 3 the ring adds in another order than the tree, so a run's
// results would change with it: vdmc leaves the library's choice there. An MPI without
// that variable runs its own choice.
#ifndef VDMC_MPI_IALLREDUCE_ALGORITHM_H
#define VDMC_MPI_IALLREDUCE_ALGORITHM_H

#include <mpi.h>

typedef enum {
  IALLREDUCE_LIBRARY,      // the library's own choice (Open MPI 4.1: the binomial tree)
  IALLREDUCE_PAIR_RING,    // libnbc's ring, chosen by vdmc at P = 2
  IALLREDUCE_CHOSEN_OUTSIDE  // coll_libnbc_iallreduce_algorithm was set before vdmc looked
} IallreduceAlgorithm;

// The value of Open MPI's coll_libnbc_iallreduce_algorithm that selects the ring.
enum { IALLREDUCE_LIBNBC_RING = 1 };

// Collective over comm (every rank calls it, with the same size): decides as above and
// applies the choice; every rank returns the same *out. A value vdmc wrote itself is
// not taken for one set outside: a later call (another GradSync, another size) decides
// afresh, so a P = 2 ring is undone for P >= 3. Ranks that disagree on the
// variable (set in some ranks' environments only) fail together with one line.
int iallreduce_algorithm_choose(MPI_Comm comm, IallreduceAlgorithm *out);

// This rank's value of coll_libnbc_iallreduce_algorithm (0: libnbc decides, 1: ring,
// 2: binomial, ...), read and, when set >= 0, then set to `set`. *found = 0 (and
// VDMC_OK) when this MPI has no such variable. Not collective: callers make every rank
// set the same value before the next MPI_Iallreduce.
int iallreduce_libnbc_variable(int *found, int *value, int set);

// For the start line of a run: "libnbc ring (set by vdmc at P = 2)", ...
const char *iallreduce_algorithm_name(IallreduceAlgorithm a);

#endif
