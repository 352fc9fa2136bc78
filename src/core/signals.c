#define _POSIX_C_SOURCE 200809L  // sigaction in C11 mode
#include "core/signals.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "core/status.h"

static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig) {
  if (!stop_signal) stop_signal = sig;
}

int signals_install(void) {
  static const int sigs[] = {SIGUSR1, SIGTERM};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0)
      return vdmc_fail(VDMC_ERR_INTERNAL, "cannot install handler for signal %d: %s", sigs[i],
                       strerror(errno));
  return VDMC_OK;
}

int signals_requested(void) { return stop_signal; }

void signals_reset(void) { stop_signal = 0; }
