"""The PyTorch U-Net of the reference fixtures (gen_unet.py): the model classes are
vdmc's one PyTorch implementation, python/vdmc_torch.py (NCHW, stock torch modules:
Conv2d, GroupNorm, Linear, Embedding, F.interpolate, F.avg_pool2d; nothing is shared
with the C code except the architecture description in docs/unet.md). This file adds
the benchmark presets and the layout converters of the fixtures: parameter names equal
the C names (e.g. "in.1.res.conv1.weight"); `to_c_layout` converts a tensor to the C
layout (conv (k,k,Cin,Cout), linear (Cin,Cout)).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from vdmc_torch import (AttnBlock, ResBlock, UNet, UNetConfig, embed_act, make_embed,  # noqa: E402,F401
                        make_head, norm_groups, resample, run_head, timestep_embedding)


def fmnist_default():
    return UNetConfig()


def imagenet64_small():
    return UNetConfig(in_channels=3, out_channels=3, resolution=64, base_channels=32,
                      channel_mult=[1, 2, 3, 4], num_res_blocks=2,
                      attn_resolutions=[32, 16, 8], head_channels=32, num_classes=1000,
                      resblock_updown=True)


def to_c_layout(name, p):
    """torch tensor -> the C layout of the same parameter."""
    p = p.detach()
    if p.dim() == 4:
        return p.permute(2, 3, 1, 0).contiguous()
    if p.dim() == 2 and not name.endswith(".table"):
        return p.t().contiguous()
    return p.contiguous()


def from_c_layout(name, c, like):
    """Inverse of to_c_layout: C array (numpy or tensor) -> tensor shaped like `like`."""
    t = torch.as_tensor(c, dtype=like.dtype)
    if like.dim() == 4:
        return t.reshape(like.shape[2], like.shape[3], like.shape[1], like.shape[0]).permute(3, 2, 0, 1)
    if like.dim() == 2 and not name.endswith(".table"):
        return t.reshape(like.shape[1], like.shape[0]).t()
    return t.reshape(like.shape)
