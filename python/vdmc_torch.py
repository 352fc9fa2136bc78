"""vdmc models in PyTorch: the ADM U-Net and the U-ViT of vdmc (docs/unet.md,
docs/uvit.md), built from a file written by `vdmc export`, with vdmc's denoiser call
and DDPM ancestral sampler (docs/interop.md, docs/sampling.md).

Needs only torch and numpy (`safetensors` is used when importable, otherwise a small
reader here). NCHW tensors; parameter names equal vdmc's C names, so
`load_state_dict` takes an exported file as it is. This is the one PyTorch
implementation of the architectures: tests/reference/unet_ref.py and uvit_ref.py
import their model classes from here.

    import torch, vdmc_torch
    m = vdmc_torch.load("model.safetensors")          # U-Net or U-ViT, eval mode
    z = torch.randn(4, m.channels, m.resolution, m.resolution)
    lam = torch.full((4,), 2.0)
    labels = torch.tensor([0, 1, 2, m.num_classes])    # num_classes = the null class
    out = m.denoise(z, lam, labels)                   # network output (eps / x / v / F)
    x = m.sample_ddpm(4, steps=64, labels=labels[:3].repeat(2)[:4], guidance=1.0,
                      generator=torch.Generator().manual_seed(0))
"""
import json
import math
import struct
from dataclasses import dataclass, field, fields
from typing import List

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- architectures


@dataclass
class InputConfig:
    """The fields both architectures share with the same defaults (models/model_common.h):
    the lambda scale of the embedding and VDM App. C Fourier-feature inputs
    [z, sin(2^n pi z), cos(2^n pi z)], n = fourier_n_min..fourier_n_max."""
    lambda_scale: float = 25.0
    fourier_features: bool = False
    fourier_n_min: int = 7
    fourier_n_max: int = 8


@dataclass
class UNetConfig(InputConfig):
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


@dataclass
class UViTConfig(InputConfig):
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


def norm_groups(cfg, c):
    g = cfg.norm_groups
    if c % g == 0:
        return g
    if c < g:
        return math.gcd(c, g)
    raise ValueError(f"{g} groups do not divide {c} channels")


def input_channels(cfg):
    """Channels the first conv reads (diffusion/fourier_features.h)."""
    k = cfg.fourier_n_max - cfg.fourier_n_min + 1 if cfg.fourier_features else 0
    return cfg.in_channels * (1 + 2 * k)


def fourier_inputs(cfg, x):
    """[z, sin(2^n pi z) for n, cos(2^n pi z) for n] on the channel axis."""
    if not cfg.fourier_features:
        return x
    # in float64 as vdmc does: 2^8 pi z in float32 would lose ~1e-5 of the phase
    ns = range(cfg.fourier_n_min, cfg.fourier_n_max + 1)
    xd = x.double()
    return torch.cat([x] + [torch.sin(2.0 ** n * math.pi * xd).to(x.dtype) for n in ns]
                     + [torch.cos(2.0 ** n * math.pi * xd).to(x.dtype) for n in ns], dim=1)


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

    def __init__(self, ci, co=None):
        super().__init__(ci, co or ci, 3, padding=1)

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


def add_body(module, cfg, enc, dec, ch):
    """Registers the encoder, decoder and head under the C names' prefixes (in., out.,
    head.), in the parameter table's order."""
    module.add_module("in", enc)
    module.add_module("out", dec)
    module.head = make_head(cfg, ch)


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
        enc["0"] = nn.ModuleDict({"conv": nn.Conv2d(input_channels(cfg), base, 3, padding=1)})
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
        add_body(self, cfg, enc, dec, ch)

    def forward(self, x, lam, labels=None):
        cfg = self.cfg
        e = embed_act(self.embed, lam, labels, cfg.lambda_scale, cfg.base_channels)
        enc = getattr(self, "in")
        hs = []
        h = fourier_inputs(cfg, x)
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


class UViT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        C0, E, S = cfg.stage_channels[0], cfg.emb_channels, len(cfg.stage_channels)
        self.embed = make_embed(C0, E, cfg.num_classes)
        enc = nn.ModuleDict({"0": nn.ModuleDict({"conv": nn.Conv2d(input_channels(cfg), C0, 3, padding=1)})})
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
            dec[str(idx)] = nn.ModuleDict({"up": Upsample(ch, co)})
            self.dec_plan.append((str(idx), "up"))
            ch, idx = co, idx + 1
            for _ in range(cfg.stage_res_blocks[s] + 1):
                dec[str(idx)] = nn.ModuleDict({"res": ResBlock(cfg, ch + chans.pop(), co, E)})
                self.dec_plan.append((str(idx), "res"))
                idx += 1
        add_body(self, cfg, enc, dec, ch)

    def forward(self, x, lam, labels=None):
        cfg = self.cfg
        e = embed_act(self.embed, lam, labels, cfg.lambda_scale, cfg.stage_channels[0])
        enc, hs, h = getattr(self, "in"), [], fourier_inputs(cfg, x)
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


ARCHITECTURES = {"unet": (UNetConfig, UNet), "uvit": (UViTConfig, UViT)}


def build_model(arch_json):
    """The module described by the "vdmc_model" metadata (a dict or its JSON text)."""
    desc = json.loads(arch_json) if isinstance(arch_json, str) else dict(arch_json)
    arch = desc.pop("arch", None)
    if arch not in ARCHITECTURES:
        raise ValueError(f"vdmc_model: unknown arch {arch!r} (expected unet or uvit)")
    cfg_cls, model_cls = ARCHITECTURES[arch]
    known = {f.name for f in fields(cfg_cls)}
    unknown = sorted(set(desc) - known)
    if unknown:
        raise ValueError(f"vdmc_model: keys {unknown} are not {cfg_cls.__name__} fields (newer vdmc?)")
    return model_cls(cfg_cls(**desc))


# ---------------------------------------------------------------- safetensors

_DTYPES = {"F32": (np.dtype("<f4"), 4), "BF16": (None, 2), "F16": (np.dtype("<f2"), 2)}


def read_safetensors(path):
    """(dict name -> float32 torch tensor, metadata dict), bf16/f16 widened exactly.
    Uses the `safetensors` package when importable, otherwise the reader below."""
    try:
        from safetensors import safe_open
    except ImportError:
        return _read_safetensors_plain(path)
    tensors = {}
    with safe_open(path, framework="pt") as f:
        meta = f.metadata() or {}
        for name in f.keys():
            tensors[name] = f.get_tensor(name).float()
    return tensors, meta


def _read_safetensors_plain(path):
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, t in header.items():
        if t["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r}: dtype {t['dtype']} is not F32, BF16 or F16")
        begin, end = t["data_offsets"]
        shape = tuple(t["shape"])
        np_dtype, size = _DTYPES[t["dtype"]]
        if not 0 <= begin <= end <= len(data) or (end - begin) != size * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name!r}: data_offsets {t['data_offsets']} do not fit shape {shape}")
        raw = data[begin:end]
        if np_dtype is None:  # bf16: the high half of float32
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np_dtype).astype(np.float32)
        tensors[name] = torch.from_numpy(arr.reshape(shape).copy())
    return tensors, meta


# ---------------------------------------------------------------- diffusion (docs/diffusion.md, docs/sampling.md)


def log_sigmoid(x):
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def alpha_sigma(lam):
    """VP: alpha^2 = sigmoid(lambda), sigma^2 = sigmoid(-lambda)."""
    return math.exp(0.5 * log_sigmoid(lam)), math.exp(0.5 * log_sigmoid(-lam))


def x_coefficients(pred, lam, sigma_data):
    """(x_z, x_out): x_hat = x_z z + x_out out for the parameterization (pred_coef)."""
    a, s = alpha_sigma(lam)
    if pred == "eps":
        return 1 / a, -s / a
    if pred == "x":
        return 0.0, 1.0
    if pred == "v":
        return a, -s
    if pred == "F":
        sd2 = sigma_data * sigma_data
        tot = math.exp(-lam) + sd2
        return sd2 / (a * tot), math.exp(-0.5 * lam) * sigma_data / math.sqrt(tot)
    raise ValueError(f"unknown parameterization {pred!r}")


class CosineSchedule:
    """vdmc's cosine schedule truncated to [lambda_min, lambda_max] (VDM++ Eq. 127-130):
    lambda(t) = f(t0 + (t1 - t0) t), f(t) = -2 log tan(pi t / 2), inverted through the
    smaller tail as src/diffusion/schedule.c does."""

    def __init__(self, lambda_min, lambda_max):
        self.lmin, self.lmax = lambda_min, lambda_max
        self.t0 = (2 / math.pi) * math.atan(math.exp(-0.5 * lambda_max))
        self.one_minus_t1 = (2 / math.pi) * math.atan(math.exp(0.5 * lambda_min))
        self.mass = 1 - self.t0 - self.one_minus_t1

    def __call__(self, t):
        if t <= 0:
            return self.lmax
        if t >= 1:
            return self.lmin
        q_up = self.t0 + self.mass * t
        if q_up <= 0.5:
            lam = -2 * math.log(math.tan(0.5 * math.pi * q_up))
        else:
            lam = 2 * math.log(math.tan(0.5 * math.pi * (self.one_minus_t1 + self.mass * (1 - t))))
        return min(max(lam, self.lmin), self.lmax)


class VdmcModel(nn.Module):
    """An exported vdmc model: the network, its diffusion settings and metadata."""

    def __init__(self, net, diffusion, metadata):
        super().__init__()
        self.net = net
        self.diffusion = diffusion
        self.metadata = metadata
        cfg = net.cfg
        self.channels, self.resolution, self.num_classes = cfg.in_channels, cfg.resolution, cfg.num_classes

    @torch.no_grad()
    def denoise(self, z, lam, labels=None):
        """The network output in the model's parameterization (metadata
        vdmc_diffusion.parameterization: eps, x, v or F) at z (B, C, H, W), log-SNR lam (B,)
        and labels (B,) (num_classes = the null class; None for an unconditional model).
        As vdmc's Denoiser: lambda is given to the network as float32."""
        lam = torch.as_tensor(lam, dtype=torch.float32).reshape(-1)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long)
        return self.net(z.float(), lam, labels)

    def _guided(self, z, lam, labels, guidance):
        """(1 + w) out(z, c) - w out(z, null) in float64, as sampler_guided_output."""
        B = z.shape[0]
        lam_b = torch.full((B,), lam, dtype=torch.float64)
        if guidance == 0 or labels is None:
            return self.denoise(z, lam_b, labels)
        null = torch.full_like(labels, self.num_classes)
        out2 = self.denoise(torch.cat([z, z]), torch.cat([lam_b, lam_b]), torch.cat([labels, null]))
        out_c, out_u = out2[:B].double(), out2[B:].double()
        return ((1 + guidance) * out_c - guidance * out_u).float()

    @torch.no_grad()
    def sample_ddpm(self, n, steps, labels=None, guidance=0.0, generator=None, noise=None):
        """DDPM ancestral sampling as vdmc's run_ddpm (docs/sampling.md): T = steps on the
        grid t_i = i/T of the cosine schedule on the run's [lambda_min, lambda_max],
            z_s = (1-c)(alpha_s/alpha_t) z_t + c alpha_s x_hat + sigma_s sqrt(c) eps,
            c = -expm1(lambda_t - lambda_s),
        coefficients in float64, the state in float32; returns z_0 / alpha_0 (B, C, H, W).
        noise(k, shape): the standard normals of step k (0: z_1, then k = T - i + 1 for the
        step from t_i); default torch.randn with `generator`. vdmc draws them from Philox,
        so passing vdmc's draws reproduces its samples."""
        shape = (n, self.channels, self.resolution, self.resolution)
        if noise is None:
            def noise(_, shp):
                return torch.randn(shp, generator=generator, dtype=torch.float32)
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long)
        d = self.diffusion
        sched = CosineSchedule(d["lambda_min"], d["lambda_max"])
        x = noise(0, shape).float()
        for i in range(steps, 0, -1):
            lt, ls = sched(i / steps), sched((i - 1) / steps)
            out = self._guided(x, lt, labels, guidance)
            x_z, x_out = x_coefficients(d["parameterization"], lt, d["sigma_data"])
            at, _ = alpha_sigma(lt)
            a_s, s_s = alpha_sigma(ls)
            c = -math.expm1(lt - ls)
            cz, co, cn = (1 - c) * a_s / at + c * a_s * x_z, c * a_s * x_out, s_s * math.sqrt(c)
            eps = noise(steps - i + 1, shape)
            x = (cz * x.double() + co * out.double() + cn * eps.double()).float()
        a0, _ = alpha_sigma(sched(0.0))
        return (x.double() / a0).float()


def load(path, map_location="cpu"):
    """The model of a `vdmc export` file: built from its "vdmc_model" metadata, weights
    loaded with load_state_dict (strict), eval mode, float32."""
    tensors, meta = read_safetensors(path)
    for key in ("vdmc_model", "vdmc_diffusion"):
        if key not in meta:
            raise ValueError(f"{path}: metadata has no {key!r}: not written by vdmc export")
    net = build_model(meta["vdmc_model"])
    net.load_state_dict(tensors, strict=True)
    model = VdmcModel(net, json.loads(meta["vdmc_diffusion"]), meta).to(map_location)
    return model.eval()


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 tensors (dict name -> tensor, in order) with string metadata, in
    the layout `vdmc import` and every safetensors reader accept (header padded to 8)."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().float().numpy(), dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    header["__metadata__"] = {str(k): str(v) for k, v in (metadata or {}).items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def save(path, model):
    """A VdmcModel's (fine-tuned) weights with its metadata: `vdmc import` reads it."""
    write_safetensors(path, model.net.state_dict(), model.metadata)
