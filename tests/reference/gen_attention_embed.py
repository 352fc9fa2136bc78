"""Reference fixtures for src/ops/attention.c and src/ops/embedding.c.

Run from the repository root with Debian's torch:
    /usr/bin/python3 tests/reference/gen_attention_embed.py
Writes tests/fixtures/{attention,attention_large,embedding}.fix. Inputs are float32;
the reference math runs in float64 with torch autograd (independent of the C code:
torch's own softmax, matmul and autograd), then is stored as float32.
"""
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import write_fixture  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def f32(shape, gen, lo=-1.0, hi=1.0):
    return (torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo)


def attention_fixture(name, B, T, C, NH, amp, seed):
    """qkv (B,T,3C) = q | k | v; head h uses channels [h*D, (h+1)*D) of each."""
    gen = torch.Generator().manual_seed(seed)
    D = C // NH
    qkv32 = f32((B, T, 3 * C), gen) * amp
    dout32 = f32((B, T, C), gen)
    qkv = qkv32.double().requires_grad_(True)
    q, k, v = qkv.split(C, dim=2)
    heads = lambda t: t.view(B, T, NH, D).transpose(1, 2)  # (B, NH, T, D)
    q, k, v = heads(q), heads(k), heads(v)
    probs = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D), dim=-1)  # (B, NH, T, T)
    out = (probs @ v).transpose(1, 2).reshape(B, T, C)
    out.backward(dout32.double())
    write_fixture(os.path.join(OUT, name), {
        "dims": np.array([B, T, C, NH], dtype=np.int32),
        "qkv": qkv32, "dout": dout32,
        "out": out.float(), "probs": probs.float(), "dqkv": qkv.grad.float(),
    })


def timestep_embedding(x, dim, max_period):
    """ADM (guided_diffusion/nn.py) timestep_embedding, here in float64: cos then sin."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) / half)
    args = x[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def embedding_fixture(name, seed):
    gen = torch.Generator().manual_seed(seed)
    # noise-level inputs of every scale the trainer uses: lambda, t, ADM's 1000 t
    x32 = torch.tensor([0.0, 0.37, -3.25, 12.5, -17.75, 250.3, 999.0], dtype=torch.float32)
    B, E, max_period = x32.numel(), 32, 10000.0
    dsin32 = f32((B, E), gen)
    x = x32.double().requires_grad_(True)
    emb = timestep_embedding(x, E, max_period)
    emb.backward(dsin32.double())

    K, Ec = 5, 6  # 5 classes + the null row
    labels = torch.tensor([3, 0, 5, 3, 3, 1, 5, 2], dtype=torch.int32)
    table32 = f32((K + 1, Ec), gen)
    dcls32 = f32((labels.numel(), Ec), gen)
    table = table32.double().requires_grad_(True)
    cls = torch.nn.functional.embedding(labels.long(), table)
    cls.backward(dcls32.double())
    write_fixture(os.path.join(OUT, name), {
        "sin_dims": np.array([B, E], dtype=np.int32),
        "sin_max_period": np.array([max_period], dtype=np.float64),
        "sin_x": x32, "sin_dout": dsin32, "sin_out": emb.float(), "sin_dx": x.grad.float(),
        "cls_dims": np.array([labels.numel(), Ec, K], dtype=np.int32),
        "cls_labels": labels.numpy(), "cls_table": table32, "cls_dout": dcls32,
        "cls_out": cls.float(), "cls_dtable": table.grad.float(),
    })


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    attention_fixture("attention.fix", B=2, T=7, C=12, NH=3, amp=1.0, seed=1)
    # scores up to ~1e3: exp overflows in float32 unless the row maximum is subtracted
    attention_fixture("attention_large.fix", B=1, T=9, C=8, NH=2, amp=30.0, seed=2)
    embedding_fixture("embedding.fix", seed=3)
