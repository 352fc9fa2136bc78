// `vdmc prepare` converters: each reads one source format and writes vdmc dataset
// files (dataset.h) into out_dir through DatasetWriter, so bad input (truncated or
// wrong-magic files, mismatched counts, empty folders) leaves no output file and
// returns one error naming the offending file. docs/data.md lists the outputs.
#ifndef VDMC_IO_PREPARE_H
#define VDMC_IO_PREPARE_H

#include <stddef.h>

// Debian's dataset-fashion-mnist: src_dir/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
// -> out_dir/fashion-mnist-{train,test}.h5, 28x28x1 or zero-padded to 32x32x1.
#define FMNIST_DEFAULT_SRC "/usr/share/datasets/fashion-mnist"
int prepare_fashion_mnist(const char *src_dir, const char *out_dir, int pad32);

// Downsampled ImageNet (Chrabaszcz et al. 2017) .npz files in npz_dir:
// Imagenet64_train_part*.npz -> imagenet64-train.h5, val_data.npz -> imagenet64-val.h5
// (whichever are present; at least one must be).
int prepare_imagenet64(const char *npz_dir, const char *out_dir);

// Class-per-subfolder PNG/JPEG images under src_dir, labels by sorted subfolder name,
// center-cropped and area-resized to size x size RGB -> out_dir/NAME.h5 where NAME is
// the last component of src_dir.
int prepare_folder(const char *src_dir, size_t size, const char *out_dir);

// Shared by the converters: out = dir/file, creating dir (one level) if missing.
int prepare_output_path(char *out, size_t size, const char *dir, const char *file);

#endif
