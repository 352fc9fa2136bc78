// Stop signals (core/signals.h): SIGUSR1, SIGTERM and a first SIGINT set the flag and
// the first one is kept; a second SIGINT kills; a request received before an exec of
// the program (the BLAS re-exec) is delivered to the new image's handlers.
#define _POSIX_C_SOURCE 200809L  // sigaction, kill in C11 mode
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "core/signals.h"
#include "core/status.h"

static void flag_is_set_by_each_stop_signal(void) {
  CHECK(signals_install() == VDMC_OK, "install");
  CHECK(signals_requested() == 0, "no signal yet");
  raise(SIGUSR1);
  CHECK(signals_requested() == SIGUSR1, "SIGUSR1 sets the flag: %d", signals_requested());
  raise(SIGTERM);
  CHECK(signals_requested() == SIGUSR1, "the first signal is kept");
  signals_reset();
  raise(SIGTERM);
  CHECK(signals_requested() == SIGTERM, "SIGTERM sets the flag");
  signals_reset();
  raise(SIGINT);
  CHECK(signals_requested() == SIGINT, "a first SIGINT sets the flag");
  signals_reset();
}

// Runs fn in a child; returns the child's wait status.
static int in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}

static void two_sigints(void) {
  signals_install();
  raise(SIGINT);
  if (signals_requested() != SIGINT) _exit(3);
  raise(SIGINT);  // the handler was reset by the first: this one kills
  _exit(4);
}

static const char *self;

static void exec_with_request(void) {
  signals_install();
  raise(SIGUSR1);
  signals_hold_for_exec();
  execl(self, self, "--after-exec", (char *)NULL);
  _exit(5);
}

// The new image: installs the handlers like main() does; the held USR1 arrives.
static int after_exec(void) {
  if (signals_install() != VDMC_OK) return 6;
  return signals_requested() == SIGUSR1 ? 0 : 7;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--after-exec")) return after_exec();
  self = argv[0];
  flag_is_set_by_each_stop_signal();
  int st = in_child(two_sigints);
  CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT, "a second SIGINT kills (status %#x)", st);
  st = in_child(exec_with_request);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
        "a stop request held across exec reaches the new image's handler (exit %d: 6 install failed, 7 no flag, "
        "5 exec failed)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return check_finish("signals");
}
