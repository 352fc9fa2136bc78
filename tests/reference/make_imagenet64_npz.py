"""Tiny downsampled-ImageNet .npz files for tests/unit/test_prepare_images.c.

Written by NumPy itself (np.savez = stored zip members, np.savez_compressed =
deflated), so the C .npz/.npy reader is checked against the real format. Three
train parts (1, 2, 10: the reader must order them numerically) and val_data.npz.
Example g (global over the parts in order) has data[g, k] = (g * 37 + k * 11) % 256
for k over the CHW-flattened 3x64x64 row, label (g * 389) % 1000 + 1 (1-based,
as in the original files, int64 like the originals' Python ints).

Run: /usr/bin/python3 tests/reference/make_imagenet64_npz.py  (writes tests/fixtures/imagenet64/)
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "imagenet64")


def rows(first, n):
    g = np.arange(first, first + n, dtype=np.int64)[:, None]
    k = np.arange(3 * 64 * 64, dtype=np.int64)[None, :]
    data = ((g * 37 + k * 11) % 256).astype(np.uint8)
    labels = (np.arange(first, first + n, dtype=np.int64) * 389) % 1000 + 1
    return data, labels


def main():
    os.makedirs(OUT, exist_ok=True)
    first = 0
    for part, n, save in [(1, 3, np.savez), (2, 2, np.savez_compressed), (10, 1, np.savez)]:
        data, labels = rows(first, n)
        mean = data.mean(axis=0).astype(np.float64)
        save(os.path.join(OUT, f"Imagenet64_train_part{part}.npz"), data=data, labels=labels, mean=mean)
        first += n
    data, labels = rows(1000, 4)
    np.savez_compressed(os.path.join(OUT, "val_data.npz"), data=data, labels=list(labels))


if __name__ == "__main__":
    main()
