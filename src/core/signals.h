// Stop requests by signal: SIGUSR1 (Slurm's --signal=USR1@T before the time limit)
// and SIGTERM (scancel, preemption) only set a flag; the training loop reads it at
// step boundaries, agrees on it across ranks (the metrics reduction of src/train/train_step.c), checkpoints and exits.
#ifndef VDMC_CORE_SIGNALS_H
#define VDMC_CORE_SIGNALS_H

// Installs the handlers (sigaction with SA_RESTART, so interrupted reads resume).
int signals_install(void);
// The number of the first stop signal received since install/reset, or 0.
int signals_requested(void);
void signals_reset(void);

#endif
