// The one call every reader of a user-given file makes before handing the path to
// HDF5, MPI-IO, libyaml, libzip or libpng: a kind check (those libraries report a
// directory, FIFO or device as pages of internal errors, or block on a FIFO, or read
// /dev/zero forever, so vdmc says what is wrong in one line first), and the record of
// the file as an input of this process, which the output policy never replaces
// (core/output_file.h).
#ifndef VDMC_CORE_INPUT_FILE_H
#define VDMC_CORE_INPUT_FILE_H

// VDMC_OK when `path` is an existing, readable regular file (symlinks followed).
// Otherwise VDMC_ERR_IO with one line naming the path, the role `what` (e.g.
// "dataset", "checkpoint", "config file") and the reason:
//   "runs/x: cannot read the checkpoint: it is a directory, not a regular file"
//   "a.yaml: cannot open config file: No such file or directory"
// On success the file is recorded as an input (output_note_input).
int input_file_check(const char *path, const char *what);
// The same check without the record: for a file read whole and closed before any
// output is written, which the command may then replace (the config: `vdmc train
// RUN/config.yaml --run RUN` writes the resolved config back to RUN/config.yaml).
int input_file_check_unrecorded(const char *path, const char *what);

#endif
