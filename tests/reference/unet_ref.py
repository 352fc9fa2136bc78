"""Independent PyTorch re-implementation of the vdmc ADM U-Net (src/models/unet*.c).

NCHW tensors and stock torch modules (Conv2d, GroupNorm, Linear, Embedding,
F.interpolate, F.avg_pool2d); nothing is shared with the C code except the
architecture description in docs/unet.md. Parameter names equal the C names
(e.g. "in.1.res.conv1.weight"); `to_c_layout` converts a tensor to the C layout
(conv (k,k,Cin,Cout), linear (Cin,Cout)).
"""
import math
from dataclasses import dataclass, field
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class UNetConfig:
    in_channels: int = 1
    out_channels: int = 1
    resolution: int = 28
    base_channels: int = 32
    channel_mult: List[int] = field(default_factory=lambda: [1, 2, 2])
    num_res_blocks: int = 2
    attn_resolutions: List[int] = field(default_factory=lambda: [7])
    head_channels: int = 32
    dropout: float = 0.1
    num_classes: int = 10
    resblock_updown: bool = False
    norm_groups: int = 32
    lambda_scale: float = 25.0


def fmnist_default():
    return UNetConfig()


def imagenet64_small():
    return UNetConfig(in_channels=3, out_channels=3, resolution=64, base_channels=32,
                      channel_mult=[1, 2, 3, 4], num_res_blocks=2,
                      attn_resolutions=[32, 16, 8], head_channels=32, num_classes=1000,
                      resblock_updown=True)


def norm_groups(cfg, c):
    g = cfg.norm_groups
    if c % g == 0:
        return g
    if c < g:
        return math.gcd(c, g)
    raise ValueError(f"{g} groups do not divide {c} channels")


def resample(x, mode):
    if mode == "up":
        return F.interpolate(x, scale_factor=2, mode="nearest")
    if mode == "down":
        return F.avg_pool2d(x, 2)
    return x


class ResBlock(nn.Module):
    def __init__(self, cfg, ci, co, emb_dim, mode=None):
        super().__init__()
        self.gn1 = nn.GroupNorm(norm_groups(cfg, ci), ci)
        self.conv1 = nn.Conv2d(ci, co, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * co)
        self.gn2 = nn.GroupNorm(norm_groups(cfg, co), co)
        self.conv2 = nn.Conv2d(co, co, 3, padding=1)
        self.skip = nn.Conv2d(ci, co, 1) if ci != co else None
        self.mode = mode
        self.p = cfg.dropout

    def forward(self, x, emb_act):
        h = resample(F.silu(self.gn1(x)), self.mode)
        xs = resample(x, self.mode)
        h = self.conv1(h)
        scale, shift = self.emb(emb_act)[:, :, None, None].chunk(2, dim=1)
        h = self.gn2(h) * (1 + scale) + shift
        h = F.dropout(F.silu(h), self.p, self.training)
        h = self.conv2(h)
        if self.skip is not None:
            xs = self.skip(xs)
        return xs + h


class AttnBlock(nn.Module):
    """q|k|v first, heads second (guided-diffusion QKVAttention)."""

    def __init__(self, cfg, c):
        super().__init__()
        self.gn = nn.GroupNorm(norm_groups(cfg, c), c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.nh = c // cfg.head_channels

    def forward(self, x):
        B, C, H, W = x.shape
        T, nh, D = H * W, self.nh, C // self.nh
        h = self.gn(x).reshape(B, C, T).transpose(1, 2)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        q, k, v = (t.reshape(B, T, nh, D).transpose(1, 2) for t in (q, k, v))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D), dim=-1)
        a = (w @ v).transpose(1, 2).reshape(B, T, C)
        return x + self.proj(a).transpose(1, 2).reshape(B, C, H, W)


class ClassTable(nn.Module):
    def __init__(self, rows, dim):
        super().__init__()
        self.table = nn.Parameter(torch.randn(rows, dim))


class Upsample(nn.Conv2d):
    """Nearest x2 then conv3x3 (parameters named like a plain conv)."""

    def __init__(self, c):
        super().__init__(c, c, 3, padding=1)

    def forward(self, x):
        return super().forward(resample(x, "up"))


def timestep_embedding(t, dim, max_period=10000.0):
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    args = t.to(torch.float64)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1).to(t.dtype)


def make_embed(sin_dim, emb_dim, num_classes):
    """embed.lin1 / lin2 (+ embed.class.table with a null row)."""
    embed = nn.ModuleDict({"lin1": nn.Linear(sin_dim, emb_dim), "lin2": nn.Linear(emb_dim, emb_dim)})
    if num_classes > 0:
        embed["class"] = ClassTable(num_classes + 1, emb_dim)
    return embed


def embed_act(embed, lam, labels, lambda_scale, sin_dim):
    """SiLU(lin2(SiLU(lin1(sinusoid(lambda_scale * lam)))) + class row)."""
    emb = embed["lin2"](F.silu(embed["lin1"](timestep_embedding(lambda_scale * lam, sin_dim))))
    if "class" in embed:
        emb = emb + embed["class"].table[labels]
    return F.silu(emb)


def make_head(cfg, ch):
    return nn.ModuleDict({"gn": nn.GroupNorm(norm_groups(cfg, ch), ch),
                          "conv": nn.Conv2d(ch, cfg.out_channels, 3, padding=1)})


def run_head(head, h):
    return head["conv"](F.silu(head["gn"](h)))


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        base, E = cfg.base_channels, 4 * cfg.base_channels
        self.embed = make_embed(base, E, cfg.num_classes)
        enc = nn.ModuleDict()
        dec = nn.ModuleDict()
        # plan: list of (kind, key) executed in order; "push" marks skip sources
        self.plan = []
        enc["0"] = nn.ModuleDict({"conv": nn.Conv2d(cfg.in_channels, base, 3, padding=1)})
        self.plan.append(("in", "0", "conv"))
        chans = [base]
        ch, res, idx = base, cfg.resolution, 1
        L = len(cfg.channel_mult)
        for lvl, mult in enumerate(cfg.channel_mult):
            for _ in range(cfg.num_res_blocks):
                blk = nn.ModuleDict({"res": ResBlock(cfg, ch, mult * base, E)})
                ch = mult * base
                if res in cfg.attn_resolutions:
                    blk["attn"] = AttnBlock(cfg, ch)
                enc[str(idx)] = blk
                self.plan.append(("in", str(idx), "block"))
                chans.append(ch)
                idx += 1
            if lvl != L - 1:
                down = (ResBlock(cfg, ch, ch, E, "down") if cfg.resblock_updown
                        else nn.Conv2d(ch, ch, 3, stride=2, padding=1))
                enc[str(idx)] = nn.ModuleDict({"down": down})
                self.plan.append(("in", str(idx), "down"))
                chans.append(ch)
                res //= 2
                idx += 1
        self.mid = nn.ModuleDict({"0": nn.ModuleDict({"res": ResBlock(cfg, ch, ch, E)}),
                                  "1": nn.ModuleDict({"attn": AttnBlock(cfg, ch)}),
                                  "2": nn.ModuleDict({"res": ResBlock(cfg, ch, ch, E)})})
        idx = 0
        for lvl in reversed(range(L)):
            mult = cfg.channel_mult[lvl]
            for i in range(cfg.num_res_blocks + 1):
                ich = chans.pop()
                blk = nn.ModuleDict({"res": ResBlock(cfg, ch + ich, mult * base, E)})
                ch = mult * base
                if res in cfg.attn_resolutions:
                    blk["attn"] = AttnBlock(cfg, ch)
                if lvl and i == cfg.num_res_blocks:
                    blk["up"] = ResBlock(cfg, ch, ch, E, "up") if cfg.resblock_updown else Upsample(ch)
                    res *= 2
                dec[str(idx)] = blk
                idx += 1
        self.add_module("in", enc)
        self.add_module("out", dec)
        self.head = make_head(cfg, ch)

    def forward(self, x, lam, labels=None):
        cfg = self.cfg
        e = embed_act(self.embed, lam, labels, cfg.lambda_scale, cfg.base_channels)
        enc = getattr(self, "in")
        hs = []
        h = x
        for _, key, kind in self.plan:
            blk = enc[key]
            if kind == "conv":
                h = blk["conv"](h)
            elif kind == "down":
                h = blk["down"](h, e) if cfg.resblock_updown else blk["down"](h)
            else:
                h = blk["res"](h, e)
                if "attn" in blk:
                    h = blk["attn"](h)
            hs.append(h)
        h = self.mid["0"]["res"](h, e)
        h = self.mid["1"]["attn"](h)
        h = self.mid["2"]["res"](h, e)
        for key in range(len(self.out)):
            blk = self.out[str(key)]
            h = blk["res"](torch.cat([h, hs.pop()], dim=1), e)
            if "attn" in blk:
                h = blk["attn"](h)
            if "up" in blk:
                h = blk["up"](h, e) if cfg.resblock_updown else blk["up"](h)
        return run_head(self.head, h)


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
