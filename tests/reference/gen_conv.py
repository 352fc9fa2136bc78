"""Reference fixtures for conv2d, upsample2x and avgpool2x (tests/unit/test_conv2d.c,
tests/unit/test_resample.c), computed by PyTorch and stored in vdmc's NHWC layout.

Run from the repository root with Debian's torch:
    /usr/bin/python3 tests/reference/gen_conv.py
Each case stores the inputs (inp, weight, bias), a random upstream gradient dout,
the forward output and every gradient, permuted NCHW -> NHWC and OIHW -> HWIO.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")

# name: (B, H, W, Cin, Cout, kh, kw, stride, pad_h, pad_w, bias)
CONV_CASES = {
    "conv_k3s1": (2, 5, 7, 3, 5, 3, 3, 1, 1, 1, True),
    "conv_k3s2": (2, 7, 6, 4, 3, 3, 3, 2, 1, 1, True),
    "conv_k3s2_even": (1, 8, 8, 5, 6, 3, 3, 2, 1, 1, False),
    "conv_k1s1": (3, 4, 5, 6, 7, 1, 1, 1, 0, 0, True),
    "conv_k1s2": (2, 5, 6, 3, 4, 1, 1, 2, 0, 0, False),
}

# The Inception-v3 shapes: rectangular kernels, 5x5, unpadded ("valid") 3x3 with
# stride 1 and 2. Drawn from their own generator so the cases above keep their data.
CONV_RECT_CASES = {
    "conv_1x7": (2, 5, 9, 3, 4, 1, 7, 1, 0, 3, True),
    "conv_7x1": (1, 9, 4, 4, 3, 7, 1, 1, 3, 0, False),
    "conv_1x3": (2, 4, 5, 3, 2, 1, 3, 1, 0, 1, True),
    "conv_5x5": (1, 6, 7, 3, 4, 5, 5, 1, 2, 2, True),
    "conv_3x3_valid": (2, 7, 8, 3, 4, 3, 3, 1, 0, 0, True),
    "conv_3x3s2_valid": (1, 9, 8, 4, 3, 3, 3, 2, 0, 0, False),
}

# 3x3 stride-1 shapes with >= 16 channels, which conv2d computes by Winograd F(2x2,3x3):
# odd output sizes (partial tiles), "same" and "valid" padding. Their own generator too.
CONV_WINO_CASES = {
    "conv_k3s1_wino": (2, 5, 7, 16, 18, 3, 3, 1, 1, 1, True),
    "conv_3x3_valid_wino": (1, 6, 9, 17, 16, 3, 3, 1, 0, 0, False),
}

# name: (op, B, H, W, C) with H, W the op's input size
RESAMPLE_CASES = {
    "upsample2x": ("up", 2, 3, 5, 3),
    "avgpool2x": ("pool", 2, 6, 4, 5),
}


def randn(*shape, gen, scale=1.0):
    """float32 draws promoted to float64, so the stored float32 inputs are exactly
    the values the float64 reference used."""
    return (torch.randn(*shape, generator=gen) * scale).double().requires_grad_()


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def conv_case(B, H, W, Cin, Cout, kh, kw, stride, pad_h, pad_w, bias, gen):
    x = randn(B, Cin, H, W, gen=gen)
    w = randn(Cout, Cin, kh, kw, gen=gen, scale=0.5)
    b = randn(Cout, gen=gen) if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=(pad_h, pad_w))
    dy = randn(*y.shape, gen=gen).detach()
    y.backward(dy)
    arrays = {
        "inp": nhwc(x),
        "weight": w.permute(2, 3, 1, 0).contiguous(),  # OIHW -> (kh,kw,Cin,Cout)
        "dout": nhwc(dy),
        "out": nhwc(y),
        "dinp": nhwc(x.grad),
        "dweight": w.grad.permute(2, 3, 1, 0).contiguous(),
    }
    if bias:
        arrays["bias"] = b
        arrays["dbias"] = b.grad
    return arrays


def resample_case(op, B, H, W, C, gen):
    x = randn(B, C, H, W, gen=gen)
    y = F.interpolate(x, scale_factor=2, mode="nearest") if op == "up" else F.avg_pool2d(x, 2)
    dy = randn(*y.shape, gen=gen).detach()
    y.backward(dy)
    return {"inp": nhwc(x), "dout": nhwc(dy), "out": nhwc(y), "dinp": nhwc(x.grad)}


def main():
    gen = torch.Generator().manual_seed(1234)
    # computed in float64, stored as float32: exact up to one float32 rounding.
    for name, case in CONV_CASES.items():
        write_fixture(os.path.join(OUT, name + ".fix"), {k: v.detach().float() for k, v in conv_case(*case, gen).items()})
    for name, case in RESAMPLE_CASES.items():
        write_fixture(os.path.join(OUT, name + ".fix"), {k: v.detach().float() for k, v in resample_case(*case, gen).items()})
    gen = torch.Generator().manual_seed(4321)
    for name, case in CONV_RECT_CASES.items():
        write_fixture(os.path.join(OUT, name + ".fix"), {k: v.detach().float() for k, v in conv_case(*case, gen).items()})
    gen = torch.Generator().manual_seed(5678)
    for name, case in CONV_WINO_CASES.items():
        write_fixture(os.path.join(OUT, name + ".fix"), {k: v.detach().float() for k, v in conv_case(*case, gen).items()})


if __name__ == "__main__":
    main()
