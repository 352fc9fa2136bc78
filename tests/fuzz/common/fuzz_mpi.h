// MPI for the targets whose parsers run collectively (dataset, checkpoint loader):
// initialised once per process, used on MPI_COMM_SELF.
#ifndef VDMC_FUZZ_MPI_H
#define VDMC_FUZZ_MPI_H

// Call from LLVMFuzzerInitialize; the same initialisation as vdmc's main (vdmc_mpi_init).
// Linking it turns leak checks off (fuzz_mpi.c says why). Aborts when MPI
// cannot start (a broken harness, not a finding).
void fuzz_mpi_init(int *argc, char ***argv);

#endif
