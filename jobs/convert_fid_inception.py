#!/usr/bin/python3
"""Convert pytorch-fid's Inception-v3 weights to vdmc's HDF5 weights file.

    wget https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth
    /usr/bin/python3 jobs/convert_fid_inception.py pt_inception-2015-12-05-6726825d.pth inception-fid.h5

Needs torch (to read the .pth), h5py and numpy. Every tensor the network needs must be
present with its expected shape (an error names the first missing or mis-shaped one);
BatchNorm's num_batches_tracked is ignored, anything else unexpected is an error. The
output (docs/fid.md "Inception-v3 features") has root attributes vdmc_kind =
"inception-v3-fid", format_version = 1, weights_crc32 (zlib CRC32 of every tensor's
float32 bytes in the order below, the network's identity in FID statistics files) and
source, and one float32 dataset per state-dict tensor: conv weights as
(kh, kw, Cin, Cout), BatchNorm vectors as (Cout,), fc.weight as (2048, 1008), fc.bias
(1008,). It is written to OUT.tmp and renamed to OUT when complete.
"""
import os
import sys
import zlib

import numpy as np

KIND = "inception-v3-fid"
FORMAT_VERSION = 1
BN_PARTS = ("weight", "bias", "running_mean", "running_var")


def _block_a(name, cin, pool_features):
    return [(f"{name}.branch1x1", cin, 64, 1, 1), (f"{name}.branch5x5_1", cin, 48, 1, 1),
            (f"{name}.branch5x5_2", 48, 64, 5, 5), (f"{name}.branch3x3dbl_1", cin, 64, 1, 1),
            (f"{name}.branch3x3dbl_2", 64, 96, 3, 3), (f"{name}.branch3x3dbl_3", 96, 96, 3, 3),
            (f"{name}.branch_pool", cin, pool_features, 1, 1)]


def _block_c(name, c7):
    return [(f"{name}.branch1x1", 768, 192, 1, 1), (f"{name}.branch7x7_1", 768, c7, 1, 1),
            (f"{name}.branch7x7_2", c7, c7, 1, 7), (f"{name}.branch7x7_3", c7, 192, 7, 1),
            (f"{name}.branch7x7dbl_1", 768, c7, 1, 1), (f"{name}.branch7x7dbl_2", c7, c7, 7, 1),
            (f"{name}.branch7x7dbl_3", c7, c7, 1, 7), (f"{name}.branch7x7dbl_4", c7, c7, 7, 1),
            (f"{name}.branch7x7dbl_5", c7, 192, 1, 7), (f"{name}.branch_pool", 768, 192, 1, 1)]


def _block_e(name, cin):
    return [(f"{name}.branch1x1", cin, 320, 1, 1), (f"{name}.branch3x3_1", cin, 384, 1, 1),
            (f"{name}.branch3x3_2a", 384, 384, 1, 3), (f"{name}.branch3x3_2b", 384, 384, 3, 1),
            (f"{name}.branch3x3dbl_1", cin, 448, 1, 1), (f"{name}.branch3x3dbl_2", 448, 384, 3, 3),
            (f"{name}.branch3x3dbl_3a", 384, 384, 1, 3), (f"{name}.branch3x3dbl_3b", 384, 384, 3, 1),
            (f"{name}.branch_pool", cin, 192, 1, 1)]


def conv_layers():
    """(name, Cin, Cout, kh, kw) of the 94 BasicConv2d, in forward order."""
    layers = [("Conv2d_1a_3x3", 3, 32, 3, 3), ("Conv2d_2a_3x3", 32, 32, 3, 3),
              ("Conv2d_2b_3x3", 32, 64, 3, 3), ("Conv2d_3b_1x1", 64, 80, 1, 1),
              ("Conv2d_4a_3x3", 80, 192, 3, 3)]
    layers += _block_a("Mixed_5b", 192, 32) + _block_a("Mixed_5c", 256, 64) + _block_a("Mixed_5d", 288, 64)
    layers += [("Mixed_6a.branch3x3", 288, 384, 3, 3), ("Mixed_6a.branch3x3dbl_1", 288, 64, 1, 1),
               ("Mixed_6a.branch3x3dbl_2", 64, 96, 3, 3), ("Mixed_6a.branch3x3dbl_3", 96, 96, 3, 3)]
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        layers += _block_c(name, c7)
    layers += [("Mixed_7a.branch3x3_1", 768, 192, 1, 1), ("Mixed_7a.branch3x3_2", 192, 320, 3, 3),
               ("Mixed_7a.branch7x7x3_1", 768, 192, 1, 1), ("Mixed_7a.branch7x7x3_2", 192, 192, 1, 7),
               ("Mixed_7a.branch7x7x3_3", 192, 192, 7, 1), ("Mixed_7a.branch7x7x3_4", 192, 192, 3, 3)]
    layers += _block_e("Mixed_7b", 1280) + _block_e("Mixed_7c", 2048)
    assert len(layers) == 94
    return layers


def expected_tensors():
    """[(state-dict key, PyTorch shape, stored shape)] in canonical (stored) order."""
    out = []
    for name, cin, cout, kh, kw in conv_layers():
        out.append((f"{name}.conv.weight", (cout, cin, kh, kw), (kh, kw, cin, cout)))
        out += [(f"{name}.bn.{p}", (cout,), (cout,)) for p in BN_PARTS]
    out += [("fc.weight", (1008, 2048), (2048, 1008)), ("fc.bias", (1008,), (1008,))]
    return out


def to_stored(key, array):
    """PyTorch layout -> vdmc layout: OIHW -> HWIO, fc (out, in) -> (in, out)."""
    a = np.asarray(array, dtype=np.float32)
    if key.endswith(".conv.weight"):
        a = a.transpose(2, 3, 1, 0)
    elif key == "fc.weight":
        a = a.T
    return np.ascontiguousarray(a, dtype="<f4")


def convert_state_dict(state_dict, out_path, source):
    """Checks state_dict (key -> array-like in PyTorch layout) and writes out_path.
    Returns the weights CRC32."""
    import h5py

    expected = expected_tensors()
    names = {k for k, _, _ in expected}
    extra = sorted(k for k in state_dict if k not in names and not k.endswith("num_batches_tracked"))
    if extra:
        raise ValueError(f"{source}: unexpected tensors {extra[:5]} (not pytorch-fid's FID Inception-v3?)")
    tmp = out_path + ".tmp"
    crc = 0
    try:
        with h5py.File(tmp, "w") as f:
            for key, torch_shape, _ in expected:
                if key not in state_dict:
                    raise ValueError(f"{source}: missing tensor {key}")
                value = state_dict[key]
                value = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
                if tuple(value.shape) != torch_shape:
                    raise ValueError(f"{source}: {key} has shape {tuple(value.shape)}, expected {torch_shape}")
                stored = to_stored(key, value)
                crc = zlib.crc32(stored.tobytes(), crc)
                f.create_dataset(key, data=stored)
            f.attrs["vdmc_kind"] = KIND
            f.attrs["format_version"] = np.int64(FORMAT_VERSION)
            f.attrs["weights_crc32"] = np.int64(crc)
            f.attrs["source"] = os.path.basename(source)
        os.replace(tmp, out_path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return crc


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: convert_fid_inception.py pt_inception-2015-12-05-6726825d.pth OUT.h5")
    import torch

    state_dict = torch.load(argv[1], map_location="cpu")
    if not isinstance(state_dict, dict):
        sys.exit(f"{argv[1]}: not a state dict")
    try:
        crc = convert_state_dict(state_dict, argv[2], argv[1])
    except ValueError as e:
        sys.exit(f"convert_fid_inception: {e}")
    print(f"{argv[2]}: {len(expected_tensors())} tensors, weights_crc32 {crc:08x}")


if __name__ == "__main__":
    main(sys.argv)
