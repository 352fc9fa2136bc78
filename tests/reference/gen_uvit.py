"""Writes tests/fixtures/uvit.bin for tests/unit/test_uvit.c.

A small U-ViT in float64 (uvit_ref.py): 16x16x3, conv stages of 8 and 16 channels
with one res block each, embedding width 24, a width-32 transformer of depth 2 with
2 heads and MLP ratio 2 on 4x4 tokens, 4 norm groups, 5 classes, dropout off. Every
parameter, including the zero-initialised layers, gets random non-zero values.
Stored as in gen_unet.py: p.<name> (C layout), x (NHWC), lambda, labels, target,
out, loss = 0.5*mean((out-target)^2), g.<name>, dx, dlambda, adam_losses (10 steps).
Run: /usr/bin/python3 tests/reference/gen_uvit.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from gen_unet import OUT, write_model_fixture  # noqa: E402
from uvit_ref import UViT, UViTConfig  # noqa: E402

if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(4321)
    cfg = UViTConfig()  # the fixture config; test_uvit.c: fixture_config()
    write_model_fixture(UViT(cfg).double(), gen, cfg.in_channels, cfg.out_channels,
                        cfg.resolution, cfg.num_classes, os.path.join(OUT, "uvit.bin"))
