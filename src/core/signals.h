// Stop requests by signal: SIGUSR1 (Slurm's --signal=USR1@T before the time limit),
// SIGTERM (scancel, preemption) and a first SIGINT (Ctrl-C; a second one kills) only
// set a flag; the training loop reads it at step boundaries, agrees on it across
// ranks (the metrics reduction of src/train/train_step.c), checkpoints and exits.
// `vdmc train` installs the handlers first thing in main, before the BLAS re-exec,
// MPI_Init and the resume, so no stop request in that window kills the process.
#ifndef VDMC_CORE_SIGNALS_H
#define VDMC_CORE_SIGNALS_H

// Installs the handlers (sigaction with SA_RESTART, so interrupted reads resume)
// and unblocks the stop signals, delivering any that were held across an exec.
int signals_install(void);
// Before execve of this program: when the handlers are installed, blocks the stop
// signals (a blocked signal stays pending across execve instead of meeting the
// default action in the new image) and re-raises a request already received.
void signals_hold_for_exec(void);
// After a failed execve: unblocks what signals_hold_for_exec blocked.
void signals_unhold(void);
// The number of the first stop signal received since install/reset, or 0.
int signals_requested(void);
void signals_reset(void);

#endif
