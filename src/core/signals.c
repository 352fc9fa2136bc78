#define _POSIX_C_SOURCE 200809L  // sigaction in C11 mode
#include "core/signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "core/status.h"

static volatile sig_atomic_t stop_signal = 0;
static int installed = 0;
// SIGINT is a stop request too (Ctrl-C on an interactive run checkpoints like
// scancel); its handler is reset on delivery (SA_RESETHAND), so a second Ctrl-C
// kills at once.
static const int stop_sigs[] = {SIGUSR1, SIGTERM, SIGINT};
enum { N_STOP_SIGS = sizeof stop_sigs / sizeof stop_sigs[0] };

static void on_stop_signal(int sig) {
  if (!stop_signal) stop_signal = sig;
}

static void stop_set(sigset_t *set) {
  sigemptyset(set);
  for (int i = 0; i < N_STOP_SIGS; i++) sigaddset(set, stop_sigs[i]);
}

int signals_install(void) {
  sigset_t set;
  stop_set(&set);
  // Blocked while the handlers go in; a signal held across a re-exec
  // (signals_hold_for_exec) is delivered to the new handler by the unblock.
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  for (int i = 0; i < N_STOP_SIGS; i++) {
    sa.sa_flags = SA_RESTART | (stop_sigs[i] == SIGINT ? SA_RESETHAND : 0);
    if (sigaction(stop_sigs[i], &sa, NULL) != 0)
      return vdmc_fail(VDMC_ERR_INTERNAL, "cannot install handler for signal %d: %s", stop_sigs[i],
                       strerror(errno));
  }
  installed = 1;
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  return VDMC_OK;
}

void signals_hold_for_exec(void) {
  if (!installed) return;
  sigset_t set;
  stop_set(&set);
  pthread_sigmask(SIG_BLOCK, &set, NULL);  // the mask and pending signals survive execve
  if (stop_signal) raise(stop_signal);     // a request already taken is made pending again
}

void signals_unhold(void) {
  if (!installed) return;
  sigset_t set;
  stop_set(&set);
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int signals_requested(void) { return stop_signal; }

void signals_reset(void) { stop_signal = 0; }
