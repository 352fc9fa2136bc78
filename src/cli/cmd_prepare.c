// `vdmc prepare SOURCE ...`: converts a dataset into vdmc HDF5 files (docs/data.md).
//   vdmc prepare fashion-mnist --out DIR [--pad32] [--src DIR]
//   vdmc prepare imagenet64 --npz DIR --out DIR
//   vdmc prepare folder SRC --size S --out DIR
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "cli/flag_parse.h"
#include "io/prepare.h"

static const char *USAGE =
    "usage: vdmc prepare fashion-mnist --out DIR [--pad32] [--src DIR]\n"
    "       vdmc prepare imagenet64 --npz DIR --out DIR\n"
    "       vdmc prepare folder SRC --size S --out DIR\n";

typedef struct {
  const char *out, *src, *npz, *size, *positional;
  int pad32;
} PrepareArgs;

// Accepts only the options `allowed` (a string like "out src pad32") for this source.
static int parse_args(int argc, char **argv, const char *allowed, PrepareArgs *a) {
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    const char **slot = NULL;
    if (!strcmp(arg, "--out")) slot = &a->out;
    else if (!strcmp(arg, "--src")) slot = &a->src;
    else if (!strcmp(arg, "--npz")) slot = &a->npz;
    else if (!strcmp(arg, "--size")) slot = &a->size;
    if (arg[0] != '-') {
      if (!strstr(allowed, "positional") || a->positional)
        return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s'", arg);
      a->positional = arg;
      continue;
    }
    if (strncmp(arg, "--", 2) || !strstr(allowed, arg + 2))
      return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s' for `vdmc prepare %s`", arg, argv[1]);
    if (!strcmp(arg, "--pad32")) {
      a->pad32 = 1;
      continue;
    }
    if (!slot) return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s'", arg);
    if (flag_value(argc, argv, &i, arg, slot) < 0) return VDMC_ERR_INPUT;
  }
  if (!a->out) return vdmc_fail(VDMC_ERR_INPUT, "--out DIR is required");
  return VDMC_OK;
}

static int run_folder(const PrepareArgs *a) {
  if (!a->positional) return vdmc_fail(VDMC_ERR_INPUT, "folder: the source directory SRC is required");
  if (!a->size) return vdmc_fail(VDMC_ERR_INPUT, "folder: --size S is required");
  char *end = NULL;
  long s = strtol(a->size, &end, 10);
  if (*end || s < 1 || s > 4096)
    return vdmc_fail(VDMC_ERR_INPUT, "--size '%s': expected an integer in 1..4096", a->size);
  return prepare_folder(a->positional, (size_t)s, a->out);
}

int cmd_prepare(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(USAGE, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  PrepareArgs a = {0};
  int status;
  const char *what = argv[1];
  if (!strcmp(what, "fashion-mnist")) {
    status = parse_args(argc, argv, "out src pad32", &a);
    if (!status) status = prepare_fashion_mnist(a.src ? a.src : FMNIST_DEFAULT_SRC, a.out, a.pad32);
  } else if (!strcmp(what, "imagenet64")) {
    status = parse_args(argc, argv, "out npz", &a);
    if (!status && !a.npz) status = vdmc_fail(VDMC_ERR_INPUT, "imagenet64: --npz DIR is required");
    if (!status) status = prepare_imagenet64(a.npz, a.out);
  } else if (!strcmp(what, "folder")) {
    status = parse_args(argc, argv, "out size positional", &a);
    if (!status) status = run_folder(&a);
  } else {
    status = vdmc_fail(VDMC_ERR_INPUT, "unknown source '%s' (fashion-mnist, imagenet64, folder)", what);
  }
  if (status) fprintf(stderr, "vdmc prepare: %s\n%s", vdmc_error_message(), status == VDMC_ERR_INPUT ? USAGE : "");
  return status ? 1 : 0;
}
