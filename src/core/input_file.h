// The kind check every reader of a user-given file makes before handing the path
// to HDF5, MPI-IO, libyaml, libzip or libpng: those libraries report a directory,
// FIFO or device as pages of internal errors (or block on a FIFO, or read
// /dev/zero forever), so vdmc says what is wrong in one line first.
#ifndef VDMC_CORE_INPUT_FILE_H
#define VDMC_CORE_INPUT_FILE_H

// VDMC_OK when `path` is an existing, readable regular file (symlinks followed).
// Otherwise VDMC_ERR_IO with one line naming the path, the role `what` (e.g.
// "dataset", "checkpoint", "config file") and the reason:
//   "runs/x: cannot read the checkpoint: it is a directory, not a regular file"
//   "a.yaml: cannot open config file: No such file or directory"
int input_file_check(const char *path, const char *what);

#endif
