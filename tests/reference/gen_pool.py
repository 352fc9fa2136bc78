"""Reference fixtures for max/avg pooling, global average pooling, bilinear resize and
ReLU (tests/unit/test_pool.c, test_bilinear.c, test_relu.c): the Inception-v3 feature
network's non-convolution ops, computed by PyTorch and stored NHWC.

Run from the repository root with Debian's torch:
    /usr/bin/python3 tests/reference/gen_pool.py
Inputs are float32 draws; forward and gradients are computed in float64 from those exact
values with a stored random dout. Each file also holds "dims" (int32) so the C test
reads the shape from the fixture.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
GEN = torch.Generator().manual_seed(299)

# name: (op, B, H, W, C, k, stride, pad)
POOL_CASES = {
    "maxpool_3x3s2": ("max", 2, 9, 8, 3, 3, 2, 0),
    "maxpool_3x3s1p1": ("max", 1, 5, 6, 4, 3, 1, 1),
    "avgpool_3x3s1p1": ("avg", 2, 5, 4, 3, 3, 1, 1),
    "avgpool_3x3s2p1": ("avg", 1, 7, 6, 2, 3, 2, 1),
}
# name: (B, H, W, C, Ho, Wo)
BILINEAR_CASES = {
    "bilinear_up": (2, 5, 7, 3, 13, 11),
    "bilinear_down": (1, 9, 10, 2, 4, 6),
    "bilinear_one": (1, 1, 3, 2, 4, 5),   # a single input row: both row taps clamp
}


def randn(*shape):
    return torch.randn(*shape, generator=GEN).double().requires_grad_()


def nhwc(t):
    """NCHW -> NHWC; tensors of other ranks (global pool output, ReLU) unchanged."""
    return t.permute(0, 2, 3, 1).contiguous() if t.dim() == 4 else t


def save(name, dims, x, y):
    dy = torch.randn(*y.shape, generator=GEN).double()
    (dx,) = torch.autograd.grad(y, [x], dy)
    arrays = {"dims": np.array(dims, dtype=np.int32), "x": nhwc(x.detach()).float(),
              "dout": nhwc(dy).float(), "out": nhwc(y.detach()).float(), "dx": nhwc(dx).float()}
    path = os.path.join(OUT, name + ".fix")
    write_fixture(path, arrays)
    print(f"{path}: {os.path.getsize(path)} bytes")


def pool_case(name, op, B, H, W, C, k, s, p):
    x = randn(B, C, H, W)
    if op == "max":
        y = F.max_pool2d(x, k, s, p)
    else:
        y = F.avg_pool2d(x, k, s, p, count_include_pad=False)
    save(name, [B, H, W, C, k, s, p], x, y)


def bilinear_case(name, B, H, W, C, Ho, Wo):
    x = randn(B, C, H, W)
    y = F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=False)
    save(name, [B, H, W, C, Ho, Wo], x, y)


def bilinear_u8():
    """uint8 pixels / 255 resized in float32, exactly pytorch-fid's input path."""
    B, H, W, C, Ho, Wo = 2, 6, 5, 3, 17, 19
    u8 = torch.randint(0, 256, (B, H, W, C), generator=GEN, dtype=torch.int64)
    x = u8.permute(0, 3, 1, 2).float() / 255.0
    y = F.interpolate(x, size=(Ho, Wo), mode="bilinear", align_corners=False)
    arrays = {"dims": np.array([B, H, W, C, Ho, Wo], dtype=np.int32), "u8": u8.int(),
              "out": nhwc(y)}
    path = os.path.join(OUT, "bilinear_u8.fix")
    write_fixture(path, arrays)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    for name, case in POOL_CASES.items():
        pool_case(name, *case)
    x = randn(2, 5, 3, 4)  # (B, C, H, W): global average pool to (B, C)
    save("global_avgpool", [2, 12, 5], x, x.mean(dim=(2, 3)))
    for name, case in BILINEAR_CASES.items():
        bilinear_case(name, *case)
    bilinear_u8()
    x = torch.cat([torch.randn(300, generator=GEN), torch.tensor([0.0, -0.0])]).double()
    x.requires_grad_()
    save("relu", [x.numel()], x, torch.relu(x))


if __name__ == "__main__":
    main()
