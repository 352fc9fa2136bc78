// mpi_agree (mpi/agree.h): every rank returns the lowest failing rank's status and
// message. ctest runs it as a singleton (unit.agree); tests/cli/mpi_agree.sh runs it
// under mpirun -n 2 and 3, where the cases with failures on ranks 1 and 2 take effect.
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mpi_test.h"
#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

// One case: rank r fails with codes[r] (0 = passes) and the message "failure of rank r";
// every rank must return `code` and record exactly `message`.
static void expect(MPI_Comm comm, const char *what, int status, int code, const char *message) {
  vdmc_clear_error();
  if (status) {
    int rank;
    MPI_Comm_rank(comm, &rank);
    vdmc_fail(status, "failure of rank %d", rank);
  }
  int rc = mpi_agree(comm, status);
  CHECK(rc == code, "%s: status %d, expected %d (%s)", what, rc, code, vdmc_error_message());
  if (code) CHECK(!strcmp(vdmc_error_message(), message), "%s: message '%s', expected '%s'", what,
                  vdmc_error_message(), message);
}

int main(int argc, char **argv) {
  VdmcComm c;
  mpi_test_init(&argc, &argv, &c);
  int last = c.size - 1;
  char msg[128];

  expect(c.comm, "nobody fails", VDMC_OK, VDMC_OK, "");

  // every rank fails with its own code: rank 0's code and message, without a prefix
  expect(c.comm, "all fail", c.rank == 0 ? VDMC_ERR_INPUT : VDMC_ERR_IO, VDMC_ERR_INPUT, "failure of rank 0");

  // only the last rank fails: its code and message on every rank, named by rank when not 0
  snprintf(msg, sizeof msg, last ? "rank %d: failure of rank %d" : "failure of rank %d", last, last);
  if (!last) snprintf(msg, sizeof msg, "failure of rank 0");
  expect(c.comm, "last fails", c.rank == last ? VDMC_ERR_NUMERIC : VDMC_OK, VDMC_ERR_NUMERIC, msg);

  // ranks 1 and 2 fail with different codes and messages: rank 1's wins on every rank,
  // whatever the order of the codes (rank 2's is the larger one here)
  if (c.size >= 2) {
    int mine = c.rank == 1 ? VDMC_ERR_INPUT : c.rank == 2 ? VDMC_ERR_MPI : VDMC_OK;
    expect(c.comm, "ranks 1 and 2 fail", mine, VDMC_ERR_INPUT, "rank 1: failure of rank 1");
    // and the other way round, so neither the larger nor the smaller code decides
    mine = c.rank == 1 ? VDMC_ERR_MPI : c.rank == 2 ? VDMC_ERR_INPUT : VDMC_OK;
    expect(c.comm, "ranks 1 and 2 fail, codes swapped", mine, VDMC_ERR_MPI, "rank 1: failure of rank 1");
  }

  // a message as long as the error buffer arrives whole up to its capacity
  vdmc_clear_error();
  char longmsg[1100];
  memset(longmsg, 'x', sizeof longmsg - 1);
  longmsg[sizeof longmsg - 1] = 0;
  if (c.rank == 0) vdmc_fail(VDMC_ERR_IO, "%s", longmsg);
  int rc = mpi_agree(c.comm, c.rank == 0 ? VDMC_ERR_IO : VDMC_OK);
  CHECK(rc == VDMC_ERR_IO && strlen(vdmc_error_message()) == 1023 &&
            !strncmp(vdmc_error_message(), longmsg, 1023), "long message: %zu chars", strlen(vdmc_error_message()));

  // ranks are those of the communicator given: in the half with odd world ranks, the
  // lowest failing rank is its rank 0 (world rank 1)
  MPI_Comm half;
  MPI_Comm_split(c.comm, c.rank % 2, c.rank, &half);
  expect(half, "sub-communicator", c.rank % 2 ? VDMC_ERR_INPUT : VDMC_OK, c.rank % 2 ? VDMC_ERR_INPUT : VDMC_OK,
         "failure of rank 0");
  MPI_Comm_free(&half);

  return mpi_test_finish(&c, "agree");
}
