// The subcommand table: one entry per `vdmc NAME`, each implemented in its own
// src/cli/cmd_NAME.c. A command returns a process exit status.
#ifndef VDMC_CLI_COMMANDS_H
#define VDMC_CLI_COMMANDS_H

typedef struct {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv);  // argv[0] is the command name
} VdmcCommand;

extern const VdmcCommand vdmc_commands[];
extern const int vdmc_command_count;

int cmd_version(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_blas(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_prepare(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_train_classifier(int argc, char **argv);
int cmd_fid_stats(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_ema(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);

#endif
