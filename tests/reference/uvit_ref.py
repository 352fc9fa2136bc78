"""Independent PyTorch re-implementation of the vdmc U-ViT (src/models/uvit*.c).

NCHW tensors and stock torch ops (Conv2d, Linear, F.layer_norm, F.gelu,
F.interpolate); the residual block, sinusoidal embedding and class table are the
ones of unet_ref.py (the U-Net reference), nothing is shared with the C code.
Architecture (docs/uvit.md): conv down stages of ADM res blocks with stride-2 conv
down-samplers, a pre-LN transformer on the lowest-resolution tokens whose two halves
use adaLN (LayerNorm without affine, x*(1+scale)+shift from the embedding), conv up
stages (nearest x2 + conv3x3, then res blocks on [h | skip]), GN-SiLU-conv head.
Parameter names equal the C names; unet_ref.to_c_layout converts tensors.
"""
import math
from dataclasses import dataclass, field
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F

from unet_ref import ResBlock, embed_act, make_embed, make_head, resample, run_head


@dataclass
class UViTConfig:
    in_channels: int = 3
    out_channels: int = 3
    resolution: int = 16
    stage_channels: List[int] = field(default_factory=lambda: [8, 16])
    stage_res_blocks: List[int] = field(default_factory=lambda: [1, 1])
    emb_channels: int = 24
    width: int = 32
    depth: int = 2
    heads: int = 2
    mlp_ratio: int = 2
    dropout: float = 0.0
    xfmr_dropout: float = 0.0
    num_classes: int = 5
    norm_groups: int = 4
    lambda_scale: float = 25.0


def uvit_small():
    """src/models/uvit_config.c: uvit_config_small (the bench_step model)."""
    return UViTConfig(resolution=64, stage_channels=[32, 64], stage_res_blocks=[2, 2],
                      emb_channels=128, width=256, depth=4, heads=4, mlp_ratio=4,
                      xfmr_dropout=0.2, num_classes=1000, norm_groups=32)


class AdaLN(nn.Module):
    """LayerNorm without affine, then x * (1 + scale) + shift, [scale|shift] = ada(e)."""

    def __init__(self, c, emb_dim):
        super().__init__()
        self.ada = nn.Linear(emb_dim, 2 * c)

    def norm(self, x, e):
        scale, shift = self.ada(e)[:, None, :].chunk(2, dim=-1)
        return F.layer_norm(x, x.shape[-1:]) * (1 + scale) + shift


class XfmrAttn(AdaLN):
    def __init__(self, c, emb_dim, heads):
        super().__init__(c, emb_dim)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.nh = heads

    def forward(self, x, e):  # x (B, T, C)
        B, T, C = x.shape
        nh, D = self.nh, C // self.nh
        q, k, v = self.qkv(self.norm(x, e)).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, T, nh, D).transpose(1, 2) for t in (q, k, v))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D), dim=-1)
        return x + self.proj((w @ v).transpose(1, 2).reshape(B, T, C))


class XfmrMlp(AdaLN):
    def __init__(self, c, emb_dim, hidden, p):
        super().__init__(c, emb_dim)
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)
        self.p = p

    def forward(self, x, e):
        h = F.dropout(F.gelu(self.fc1(self.norm(x, e))), self.p, self.training)
        return x + self.fc2(h)


class UpConv(nn.Conv2d):
    """Nearest x2 then conv3x3 ci -> co (parameters named like a plain conv)."""

    def __init__(self, ci, co):
        super().__init__(ci, co, 3, padding=1)

    def forward(self, x):
        return super().forward(resample(x, "up"))


class UViT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C0, E, S = cfg.stage_channels[0], cfg.emb_channels, len(cfg.stage_channels)
        self.embed = make_embed(C0, E, cfg.num_classes)
        enc = nn.ModuleDict({"0": nn.ModuleDict({"conv": nn.Conv2d(cfg.in_channels, C0, 3, padding=1)})})
        self.enc_plan = [("0", "conv", True)]  # (key, kind, is a skip source)
        chans, ch, idx = [C0], C0, 1
        for s, co in enumerate(cfg.stage_channels):
            for _ in range(cfg.stage_res_blocks[s]):
                enc[str(idx)] = nn.ModuleDict({"res": ResBlock(cfg, ch, co, E)})
                self.enc_plan.append((str(idx), "res", True))
                ch = co
                chans.append(ch)
                idx += 1
            last = s == S - 1
            out_ch = cfg.width if last else ch
            enc[str(idx)] = nn.ModuleDict({"down": nn.Conv2d(ch, out_ch, 3, stride=2, padding=1)})
            self.enc_plan.append((str(idx), "down", not last))
            if not last:
                chans.append(ch)
            ch = out_ch
            idx += 1
        self.mid = nn.ModuleDict({
            str(d): nn.ModuleDict({"attn": XfmrAttn(cfg.width, E, cfg.heads),
                                   "mlp": XfmrMlp(cfg.width, E, cfg.mlp_ratio * cfg.width,
                                                  cfg.xfmr_dropout)})
            for d in range(cfg.depth)})
        dec, idx = nn.ModuleDict(), 0
        self.dec_plan = []
        for s in reversed(range(S)):
            co = cfg.stage_channels[s]
            dec[str(idx)] = nn.ModuleDict({"up": UpConv(ch, co)})
            self.dec_plan.append((str(idx), "up"))
            ch, idx = co, idx + 1
            for _ in range(cfg.stage_res_blocks[s] + 1):
                dec[str(idx)] = nn.ModuleDict({"res": ResBlock(cfg, ch + chans.pop(), co, E)})
                self.dec_plan.append((str(idx), "res"))
                idx += 1
        self.add_module("in", enc)
        self.add_module("out", dec)
        self.head = make_head(cfg, ch)

    def forward(self, x, lam, labels=None):
        cfg = self.cfg
        e = embed_act(self.embed, lam, labels, cfg.lambda_scale, cfg.stage_channels[0])
        enc, hs, h = getattr(self, "in"), [], x
        for key, kind, push in self.enc_plan:
            h = enc[key][kind](h, e) if kind == "res" else enc[key][kind](h)
            if push:
                hs.append(h)
        B, C, H, W = h.shape
        t = h.reshape(B, C, H * W).transpose(1, 2)
        for d in range(cfg.depth):
            t = self.mid[str(d)]["mlp"](self.mid[str(d)]["attn"](t, e), e)
        h = t.transpose(1, 2).reshape(B, C, H, W)
        for key, kind in self.dec_plan:
            blk = self.out[key]
            h = blk["up"](h) if kind == "up" else blk["res"](torch.cat([h, hs.pop()], dim=1), e)
        return run_head(self.head, h)
