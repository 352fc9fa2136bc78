"""Writes tests/fixtures/unet_{updown,plain}.bin for tests/unit/test_unet.c.

A small U-Net (16x16x3, base 8, mult 1,2, one res block, attention at 8x8 with
2 heads, 4 norm groups, 5 classes, dropout off; base 8 keeps each file < 1 MB) in float64. Every parameter, including the
layers ADM zero-initialises, gets random non-zero values so that every gradient
is non-trivial. Stored: p.<name> (C layout), x (NHWC), lambda, labels, target,
out, loss = 0.5*mean((out-target)^2), g.<name>, dx, dlambda, and the losses of
10 Adam steps (lr 1e-3, betas 0.9/0.999, eps 1e-8) on the same batch.
Run: /usr/bin/python3 tests/reference/gen_unet.py
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import write_fixture  # noqa: E402
from unet_ref import UNet, UNetConfig, to_c_layout  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures")


def small_config(updown):
    return UNetConfig(in_channels=3, out_channels=3, resolution=16, base_channels=8,
                      channel_mult=[1, 2], num_res_blocks=1, attn_resolutions=[8],
                      head_channels=8, dropout=0.0, num_classes=5,
                      resblock_updown=updown, norm_groups=4, lambda_scale=25.0)


def randomize(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".table"):
                p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
            elif p.dim() == 1 and (".gn" in name or "head.gn" in name):
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * (torch.rand(p.shape, generator=gen, dtype=p.dtype) - 0.5))
            else:
                fan_in = p[0].numel() if p.dim() > 1 else None
                if fan_in is None:  # bias: use the weight's fan-in
                    w = dict(model.named_parameters())[name[:-4] + "weight"]
                    fan_in = w[0].numel()
                bound = 1.0 / np.sqrt(fan_in)
                p.copy_((2 * torch.rand(p.shape, generator=gen, dtype=p.dtype) - 1) * bound)
        for p in model.parameters():  # start from float32 values, as the C side does
            p.copy_(p.float().double())


def nchw_to_nhwc(t):
    return t.detach().permute(0, 2, 3, 1).contiguous()


def generate(updown, path):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234 + updown)
    cfg = small_config(updown)
    write_model_fixture(UNet(cfg).double(), gen, cfg.in_channels, cfg.out_channels,
                        cfg.resolution, cfg.num_classes, path)


def write_model_fixture(model, gen, in_channels, out_channels, R, num_classes, path):
    """Randomizes model (float64) and writes its fixture: a batch of 3 with labels
    0, 4 and the null class (gen_uvit.py uses this too)."""
    randomize(model, gen)
    model.eval()  # dropout off
    B = 3
    x = torch.randn(B, in_channels, R, R, generator=gen, dtype=torch.float64)
    # multiples of 1/8 so that lambda_scale * lambda is exact in float32
    lam = torch.round((torch.rand(B, generator=gen, dtype=torch.float64) * 40 - 20) * 8) / 8
    labels = torch.tensor([0, 4, num_classes], dtype=torch.long)
    target = torch.randn(B, out_channels, R, R, generator=gen, dtype=torch.float64)
    # x, lambda as float32 values so both sides see the same inputs
    x = x.float().double().requires_grad_(True)
    lam = lam.float().double().requires_grad_(True)
    arrays = {}
    for name, p in model.named_parameters():
        arrays["p." + name] = to_c_layout(name, p).float()
    out = model(x, lam, labels)
    loss = 0.5 * ((out - target) ** 2).mean()
    loss.backward()
    arrays["x"] = nchw_to_nhwc(x).float()
    arrays["lambda"] = lam.detach().float()
    arrays["labels"] = labels.int()
    arrays["target"] = nchw_to_nhwc(target).float()
    arrays["out"] = nchw_to_nhwc(out).float()
    arrays["loss"] = np.array([loss.item()], dtype=np.float64)
    for name, p in model.named_parameters():
        arrays["g." + name] = to_c_layout(name, p.grad).float()
    arrays["dx"] = nchw_to_nhwc(x.grad).float()
    arrays["dlambda"] = lam.grad.detach().float()
    # Adam trajectory from the same start
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    losses = []
    xd = x.detach()
    for _ in range(10):
        opt.zero_grad()
        loss = 0.5 * ((model(xd, lam.detach(), labels) - target) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        opt.step()
    arrays["adam_losses"] = np.array(losses, dtype=np.float64)
    write_fixture(path, arrays)
    n = sum(p.numel() for p in model.parameters())
    print(f"{path}: {n} params, loss {arrays['loss'][0]:.6f}, "
          f"{os.path.getsize(path) / 1e6:.2f} MB")


if __name__ == "__main__":
    torch.set_num_threads(1)
    generate(1, os.path.join(OUT, "unet_updown.bin"))
    generate(0, os.path.join(OUT, "unet_plain.bin"))
