// vdmc: entry point. Dispatches `vdmc COMMAND ...` through the table in commands.c.
#define _POSIX_C_SOURCE 200809L  // SIGSTOP in C11 mode
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas/blas_startup.h"
#include "cli/commands.h"
#include "core/signals.h"
#include "core/status.h"

static void print_help(FILE *f) {
  fprintf(f, "usage: vdmc COMMAND [ARGS]   (vdmc COMMAND --help for details)\n\ncommands:\n");
  for (int i = 0; i < vdmc_command_count; i++)
    fprintf(f, "  %-12s %s\n", vdmc_commands[i].name, vdmc_commands[i].summary);
  fprintf(f, "\n  --help       this text\n  --version    print the version\n");
}

int main(int argc, char **argv) {
  // A training job can be told to stop at any moment (Slurm's --signal, scancel):
  // its handlers go in before anything else (core/signals.h).
  if (argc >= 2 && !strcmp(argv[1], "train") && signals_install() != VDMC_OK) {
    fprintf(stderr, "vdmc: %s\n", vdmc_error_message());
    return 1;
  }
  // Test hook (tests/cli/train_signals.sh): stop here so a test can signal this window.
  if (argc >= 2 && !strcmp(argv[1], "train") && getenv("VDMC_TRAIN_TEST_PAUSE_AT_START")) raise(SIGSTOP);
  // Then, before MPI_Init or any thread: may re-execute this process with a
  // better OPENBLAS_CORETYPE, then checks sgemm (docs/blas.md).
  if (blas_select_or_reexec(argc, argv) != VDMC_OK) {
    fprintf(stderr, "vdmc: %s\n", vdmc_error_message());
    return 1;
  }
  if (argc < 2) {
    print_help(stderr);
    return 2;
  }
  const char *name = argv[1];
  if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
    print_help(stdout);
    return 0;
  }
  if (!strcmp(name, "--version")) return cmd_version(argc - 1, argv + 1);
  for (int i = 0; i < vdmc_command_count; i++)
    if (!strcmp(name, vdmc_commands[i].name)) return vdmc_commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "vdmc: unknown command '%s' (see vdmc --help)\n", name);
  return 2;
}
