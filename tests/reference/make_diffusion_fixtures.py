"""Reference fixtures for src/diffusion (run with /usr/bin/python3, torch 1.13):
  diffusion_fourier.bin  Fourier features forward and input gradient (autograd)
  diffusion_loss.bin     weighted loss per example and d loss / d out for the eps, x, v, F
                         parameterizations, written independently with torch autograd
  diffusion_recon.bin    VDM discretized 8-bit reconstruction -log p(x|z0) (log_softmax)
Usage: /usr/bin/python3 tests/reference/make_diffusion_fixtures.py tests/fixtures
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

torch.manual_seed(0)
out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures"

# ---- Fourier features: [z, sin(2^n pi z)..., cos(2^n pi z)...] over NHWC rows
N, C, n_min, n_max = 10, 3, -1, 3
z = (torch.rand(N, C, dtype=torch.float64) * 2 - 1).requires_grad_()
freqs = [math.pi * 2.0 ** n for n in range(n_min, n_max + 1)]
sins = [torch.sin(f * z) for f in freqs]
coss = [torch.cos(f * z) for f in freqs]
out = torch.cat([z] + sins + coss, dim=1)
probe = torch.randn_like(out)
(out * probe).sum().backward()
write_fixture(os.path.join(out_dir, "diffusion_fourier.bin"), {
    "z": z.detach().float(), "out": out.detach().float(), "probe": probe.float(),
    "dz": z.grad.float(), "range": torch.tensor([n_min, n_max], dtype=torch.int32)})

# ---- weighted loss for each parameterization (order: eps, x, v, F), sigma_data 0.5
B, D, sd = 5, 7, 0.5
lam = torch.tensor([-15.0, -4.0, 0.3, 5.5, 14.0], dtype=torch.float64)
weight = torch.tensor([0.7, 1.3, 2.0, 0.4, 3.1], dtype=torch.float64)
x = torch.rand(B, D, dtype=torch.float64) * 2 - 1
eps = torch.randn(B, D, dtype=torch.float64)
alpha = torch.sigmoid(lam).sqrt()[:, None]
sigma = torch.sigmoid(-lam).sqrt()[:, None]
zt = alpha * x + sigma * eps
arrays = {"lambda": lam, "weight": weight, "z": zt.float(), "eps": eps.float()}
for name in ["eps", "x", "v", "F"]:
    o = torch.randn(B, D, dtype=torch.float64)
    o = o.float().double().requires_grad_()  # the C side sees the float32 value
    zz = zt.float().double()
    ee = eps.float().double()
    if name == "eps":
        eps_hat = o
    elif name == "x":
        eps_hat = (zz - alpha * o) / sigma
    elif name == "v":
        eps_hat = sigma * zz + alpha * o
    else:  # EDM preconditioning applied to z / alpha (VE z), x_hat = c_skip z_ve + c_out F
        s2 = torch.exp(-lam)[:, None]
        x_hat = sd ** 2 / (s2 + sd ** 2) * (zz / alpha) + s2.sqrt() * sd / (s2 + sd ** 2).sqrt() * o
        eps_hat = (zz - alpha * x_hat) / sigma
    loss = 0.5 * weight * ((eps_hat - ee) ** 2).sum(dim=1)
    (loss.sum() / B).backward()
    arrays["out_" + name] = o.detach().float()
    arrays["loss_" + name] = loss.detach()
    arrays["dout_" + name] = o.grad.float()
write_fixture(os.path.join(out_dir, "diffusion_loss.bin"), arrays)

# ---- discretized 8-bit reconstruction at lambda_max = 9
lmax, Dp = 9.0, 12
k = torch.randint(0, 256, (Dp,))
xv = (2 * k.double() + 1) / 256 - 1
a0 = math.sqrt(1 / (1 + math.exp(-lmax)))
s0 = math.sqrt(1 / (1 + math.exp(lmax)))
z0 = (a0 * xv + s0 * torch.randn(Dp, dtype=torch.float64)).float()
vals = (2 * torch.arange(256, dtype=torch.float64) + 1) / 256 - 1
logits = -0.5 * ((z0.double()[:, None] / a0 - vals[None, :]) / math.exp(-lmax / 2)) ** 2
nll = -torch.log_softmax(logits, dim=1)[torch.arange(Dp), k].sum()
write_fixture(os.path.join(out_dir, "diffusion_recon.bin"), {
    "bytes": k.int(), "z0": z0, "lambda_max": torch.tensor([lmax], dtype=torch.float64),
    "nll": torch.tensor([nll.item()], dtype=torch.float64)})
print("wrote diffusion_fourier.bin, diffusion_loss.bin, diffusion_recon.bin to", out_dir)
