"""Reference fixtures for GroupNorm, LayerNorm, SiLU, GELU, linear and tensor ops.

Run: /usr/bin/python3 tests/reference/gen_basic_ops.py [out_dir]  (default tests/fixtures)
Inputs are drawn in float32 and stored; the reference outputs and gradients are
computed by PyTorch in float64 from those exact float32 values, with dout a stored
random tensor, so the C kernels are compared against an independent implementation
that is more precise than themselves. Activations are NHWC; GroupNorm is applied
by PyTorch on the NCHW permutation.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_io import write_fixture  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
GEN = torch.Generator().manual_seed(20261123)


def rand(*shape, scale=1.0, offset=0.0):
    """float32 values, returned as a float64 leaf tensor that requires grad."""
    x = (torch.randn(*shape, generator=GEN) * scale + offset).float()
    return x.double().requires_grad_(True)


def run(name, dims, inputs, fn):
    """inputs: dict name -> leaf tensor; fn(**inputs) -> output tensor or dict of them.
    Stores inputs, dout, every output and d<input> for each input."""
    outs = fn(**inputs)
    if not isinstance(outs, dict):
        outs = {"out": outs}
    main = outs["out"]
    dout = torch.randn(*main.shape, generator=GEN).float().double()
    grads = torch.autograd.grad(main, list(inputs.values()), dout)
    arrays = {"dims": np.array(dims, dtype=np.int32)}
    arrays.update({k: v.detach().float() for k, v in inputs.items()})
    arrays["dout"] = dout.float()
    arrays.update({k: v.detach().float() for k, v in outs.items()})
    arrays.update({"d" + k: g.float() for k, g in zip(inputs, grads)})
    path = os.path.join(OUT, name + ".fix")
    write_fixture(path, arrays)
    print(f"{path}: {os.path.getsize(path)} bytes")


def groupnorm(name, B, H, W, C, G, offset=0.0):
    def fn(x, weight, bias):
        y = F.group_norm(x.permute(0, 3, 1, 2), G, weight, bias, eps=1e-5).permute(0, 2, 3, 1)
        xg = x.detach().reshape(B, H * W, G, C // G)
        mean = xg.mean(dim=(1, 3))
        var = xg.var(dim=(1, 3), unbiased=False)
        return {"out": y.contiguous(), "mean": mean, "rstd": 1.0 / torch.sqrt(var + 1e-5)}

    run(name, [B, H * W, C, G],
        {"x": rand(B, H, W, C, offset=offset), "weight": rand(C, scale=0.5, offset=1.0),
         "bias": rand(C, scale=0.5)}, fn)


def layernorm(name, N, C):
    def fn(x, weight, bias):
        xd = x.detach()
        return {"out": F.layer_norm(x, (C,), weight, bias, eps=1e-5), "mean": xd.mean(1),
                "rstd": 1.0 / torch.sqrt(xd.var(1, unbiased=False) + 1e-5)}

    run(name, [N, C], {"x": rand(N, C), "weight": rand(C, scale=0.5, offset=1.0),
                       "bias": rand(C, scale=0.5)}, fn)


def activation(name, fn):
    # a grid over [-12, 12] plus far tails, to cover saturation on both sides
    x = torch.cat([torch.linspace(-12, 12, 481), torch.tensor([-100.0, -30.0, 30.0, 100.0]),
                   torch.randn(256, generator=GEN) * 3]).float().double().requires_grad_(True)
    run(name, [x.numel()], {"x": x}, lambda x: fn(x))


def gelu_erfc(x):
    """Exact GELU x*Phi(x) with Phi = erfc(-x/sqrt2)/2 in float64. F.gelu computes
    1 + erf(.), which cancels to 0 for x < -8 even in float64 (and loses digits in its
    gradient from x < -5), so the tails are taken from this form after checking it
    against F.gelu where F.gelu is accurate."""
    y = 0.5 * x * torch.special.erfc(-x / np.sqrt(2.0))
    ok = x.detach() > -5
    assert torch.allclose(y[ok], F.gelu(x)[ok], rtol=1e-9, atol=1e-300)
    return y


def main():
    os.makedirs(OUT, exist_ok=True)
    # Cg = 3, one block; Cg = 550 > 512 channels (one group split into segments);
    # Cg = 150 with several multi-group blocks; an input with a large mean.
    groupnorm("groupnorm_small", 2, 3, 5, 12, 4)
    groupnorm("groupnorm_wide_group", 1, 3, 1, 1100, 2)
    groupnorm("groupnorm_blocks", 2, 1, 3, 1200, 8)
    groupnorm("groupnorm_offset", 2, 5, 3, 8, 2, offset=3.0)
    layernorm("layernorm_small", 7, 13)
    layernorm("layernorm_wide", 3, 1030)
    activation("silu", F.silu)
    activation("gelu", gelu_erfc)

    N, Cin, Cout = 7, 13, 11
    run("linear_bias", [N, Cin, Cout],
        {"x": rand(N, Cin), "weight": rand(Cin, Cout, scale=0.3), "bias": rand(Cout)},
        lambda x, weight, bias: F.linear(x, weight.t(), bias))  # vdmc stores W as (Cin, Cout)
    run("linear_nobias", [N, Cin, Cout], {"x": rand(N, Cin), "weight": rand(Cin, Cout, scale=0.3)},
        lambda x, weight: F.linear(x, weight.t()))

    B, H, W, C = 2, 3, 5, 7
    run("add", [B * H * W * C], {"a": rand(B, H, W, C), "b": rand(B, H, W, C)},
        lambda a, b: a + b)
    Ca, Cb = 3, 5
    run("concat", [B * H * W, Ca, Cb], {"a": rand(B, H, W, Ca), "b": rand(B, H, W, Cb)},
        lambda a, b: torch.cat([a, b], dim=3))

    def scale_shift(x, ss):
        scale, shift = ss[:, None, None, :C], ss[:, None, None, C:]
        return x * (1 + scale) + shift

    run("scale_shift", [B, H * W, C], {"x": rand(B, H, W, C), "ss": rand(B, 2 * C, scale=0.5)},
        scale_shift)
    run("add_channel_bias", [B, H * W, C], {"x": rand(B, H, W, C), "v": rand(B, C)},
        lambda x, v: x + v[:, None, None, :])


if __name__ == "__main__":
    main()
