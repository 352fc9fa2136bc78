// `vdmc info FILE`: describes a vdmc file. The root attribute vdmc_kind says what
// kind of file it is; each kind has one describe function in the table below.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include <sys/stat.h>
#include "io/h5_attr.h"

typedef struct {
  const char *kind;
  int (*describe)(const char *path, FILE *out);
} InfoKind;

static const InfoKind info_kinds[] = {
    {DATASET_KIND, dataset_describe},
    {CHECKPOINT_KIND, checkpoint_describe},
};

int config_info(int argc, char **argv);  // config_info.c

int cmd_info(int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: vdmc info FILE|RUN_DIR   describe a vdmc dataset or checkpoint (docs/data.md, docs/checkpoints.md)\n"
           "       vdmc info CONFIG.yaml [--ranks P] [--set KEY=VALUE]...   cost of a config\n");
    return 0;
  }
  size_t len = argc >= 2 ? strlen(argv[1]) : 0;
  if (len > 5 && (!strcmp(argv[1] + len - 5, ".yaml") || !strcmp(argv[1] + len - 4, ".yml"))) {
    int rc = config_info(argc - 1, argv + 1);
    if (rc) fprintf(stderr, "vdmc info: %s\n", vdmc_error_message());
    return rc ? 1 : 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: vdmc info FILE\n");
    return 2;
  }
  char kind[64];
  struct stat st;
  int status;
  if (stat(argv[1], &st) == 0 && S_ISDIR(st.st_mode)) {  // a run directory: its latest checkpoint
    status = checkpoint_describe(argv[1], stdout);
    goto done;
  }
  status = vdmc_file_kind(argv[1], kind, sizeof kind);
  if (!status) {
    for (size_t i = 0; i < sizeof info_kinds / sizeof info_kinds[0]; i++)
      if (!strcmp(kind, info_kinds[i].kind)) {
        status = info_kinds[i].describe(argv[1], stdout);
        goto done;
      }
    status = vdmc_fail(VDMC_ERR_INPUT, "%s: vdmc_kind '%s' is not known to this vdmc version", argv[1], kind);
  }
done:
  if (status) fprintf(stderr, "vdmc info: %s\n", vdmc_error_message());
  return status ? 1 : 0;
}
