// File-system helpers shared by prepare, train and checkpoints.
#ifndef VDMC_CORE_FS_H
#define VDMC_CORE_FS_H

// mkdir -p: creates `path` and missing parents; an existing directory is fine, an
// existing non-directory is an error naming it.
int fs_mkdir_p(const char *path);

#endif
