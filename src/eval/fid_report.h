// Error reporting for the multi-rank FID commands (`vdmc fid-stats`,
// `vdmc train-classifier`): one line per failure, printed once.
#ifndef VDMC_EVAL_FID_REPORT_H
#define VDMC_EVAL_FID_REPORT_H

#include <mpi.h>

// Collective: the lowest rank whose status is not VDMC_OK prints
// "vdmc CMD: <its vdmc_error_message()>" (with "[rank r/P] " when P > 1 and r > 0) to
// stderr. Returns the process exit status: 1 if any rank failed, else 0.
int fid_report_status(MPI_Comm comm, const char *cmd, int status);

#endif
