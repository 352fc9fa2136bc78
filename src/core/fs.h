// File-system helpers shared by prepare, train and checkpoints.
#ifndef VDMC_CORE_FS_H
#define VDMC_CORE_FS_H

#include <stddef.h>

// mkdir -p: creates `path` and missing parents; an existing directory is fine, an
// existing non-directory is an error naming it.
int fs_mkdir_p(const char *path);

// 1 when both paths name the same file (device and inode: hard links, symlinks followed).
int fs_same_file(const char *a, const char *b);

// Reads a whole regular file of at most max_bytes into *data (malloc'ed; the caller
// frees it). Errors name the path and the reason.
int fs_read_file(const char *path, unsigned char **data, size_t *len, size_t max_bytes);

#endif
