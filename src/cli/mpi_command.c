#include "cli/mpi_command.h"

#include <string.h>

#include "core/output_file.h"
#include "core/status.h"
#include "mpi/agree.h"

int mpi_command_run(const MpiCommand *cmd, void *args, int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      cmd->usage(stdout);
      return 0;
    }
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) {
    fprintf(stderr, "vdmc %s: %s\n", cmd->name, vdmc_error_message());
    return 1;
  }
  int bad_args = cmd->parse(args, argc, argv);
  int rc = bad_args ? bad_args : cmd->run(args, &c);
  if (rc && c.rank == 0) {
    fprintf(stderr, "vdmc %s: %s\n", cmd->name, vdmc_error_message());
    if (bad_args && cmd->usage_after_error) cmd->usage(stderr);
  }
  vdmc_mpi_finalize();
  return rc == VDMC_ERR_INPUT ? 2 : rc ? 1 : 0;
}

int mpi_command_check_files(MPI_Comm comm, const char *const *inputs, int n_inputs, const char *const *outputs,
                            int n_outputs) {
  int rank, status = VDMC_OK;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  for (int i = 0; i < n_inputs; i++) output_note_input(inputs[i]);
  for (int i = 0; i < n_outputs && rank == 0 && !status; i++)
    if (outputs[i]) status = output_file_check(outputs[i]);
  return mpi_agree(comm, status);
}
