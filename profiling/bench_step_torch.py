"""The PyTorch baseline of profiling/bench_step.c: the same U-Net (tests/reference/unet_ref.py)
or U-ViT (uvit_ref.py),
float32 (or bf16 autocast: torch.autocast("cpu", dtype=torch.bfloat16) around forward and
loss, PyTorch's own mixed precision with float32 weights and optimizer), batch and thread
count, one training step = forward, MSE loss, backward, Adam.
Dropout on (train mode). Exits 0 with a message when torch is missing.
Last line: "RESULT img_per_s=<x>".

usage: /usr/bin/python3 profiling/bench_step_torch.py {fmnist|i64|uvit} [batch=32] [steps=3] [threads=1]
       [fp32|bf16]
"""
import os
import sys
import time

try:
    import torch
except ImportError:
    print("bench_step_torch: torch not installed (use /usr/bin/python3 with python3-torch); skipped")
    sys.exit(0)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from unet_ref import UNet, fmnist_default, imagenet64_small  # noqa: E402
from uvit_ref import UViT, uvit_small  # noqa: E402

MODELS = {"fmnist": (UNet, fmnist_default), "i64": (UNet, imagenet64_small),
          "uvit": (UViT, uvit_small)}


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "fmnist"
    B = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    precision = sys.argv[5] if len(sys.argv) > 5 else "fp32"
    if precision not in ("fp32", "bf16"):
        sys.exit(f"bench_step_torch: precision must be fp32 or bf16, got {precision}")
    if precision == "bf16":
        # PyTorch 1.13's CPU autocast leaves group_norm out of its fp32 list and then
        # fails on a bf16 input with fp32 affine parameters ("expected scalar type
        # BFloat16 but found Float"): run it in fp32, as vdmc's bf16 runs their norms.
        group_norm = torch.nn.functional.group_norm
        torch.nn.functional.group_norm = lambda x, *a, **k: group_norm(x.float(), *a, **k)
    model_class, config = MODELS[name]
    cfg = config()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = model_class(cfg).float().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    R = cfg.resolution
    x = torch.rand(B, cfg.in_channels, R, R) * 2 - 1
    target = torch.rand(B, cfg.out_channels, R, R) * 2 - 1
    lam = torch.rand(B) * 20 - 10
    labels = torch.arange(B) % (cfg.num_classes + 1)
    total = 0.0
    for s in range(steps + 1):  # step 0 is a warm-up
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            out = model(x, lam, labels)
        loss = 0.5 * ((out.float() - target) ** 2).mean()
        loss.backward()
        opt.step()
        if s:
            total += time.perf_counter() - t0
    ips = B * steps / total
    print(f"bench_step_torch {name} {precision}: torch {torch.__version__}, {threads} threads, batch {B}, "
          f"{steps} steps: {total / steps:.3f} s/step, {ips:.2f} img/s")
    print(f"RESULT img_per_s={ips:.4f}")


if __name__ == "__main__":
    main()
