"""Reference for tests/unit/test_optim.c: torch.optim.Adam / AdamW trajectories.

Problem: three tensors w (3,5, decay), b (7, no decay), w2 (2,9, decay) with the
elementwise gradient g = a * (p - c) + p^3 (recomputed from p every step), lr
from a linear warmup of 4 steps to 0.05, 10 steps. Run "adam": torch.optim.Adam
defaults. Run "adamw_clip": AdamW with betas (0.8, 0.99), eps 1e-6, weight decay
0.1 on w and w2 only, and torch.nn.utils.clip_grad_norm_(max_norm=1) each step.
Arrays are flat, tensors concatenated in table order (no padding).

Run: /usr/bin/python3 tests/reference/gen_adam.py  (writes tests/fixtures/adam.bin)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import write_fixture  # noqa: E402

SHAPES = [(3, 5), (7,), (2, 9)]
DECAY = [True, False, True]
STEPS, BASE_LR, WARMUP = 10, 0.05, 4


def lr_at(step):
    return BASE_LR * min(1.0, step / WARMUP)


def run(init, a, c, adamw, max_norm):
    params = [torch.nn.Parameter(t.clone()) for t in init]
    if adamw:
        groups = [{"params": [p for p, d in zip(params, DECAY) if d], "weight_decay": 0.1},
                  {"params": [p for p, d in zip(params, DECAY) if not d], "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=BASE_LR, betas=(0.8, 0.99), eps=1e-6)
    else:
        opt = torch.optim.Adam(params, lr=BASE_LR)
    norms = []
    for step in range(1, STEPS + 1):
        for p, ai, ci in zip(params, a, c):
            p.grad = ai * (p.detach() - ci) + p.detach() * p.detach() * p.detach()
        if max_norm:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm)))
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.step()
    flat = lambda ts: torch.cat([t.detach().reshape(-1) for t in ts])
    m = flat([opt.state[p]["exp_avg"] for p in params])
    v = flat([opt.state[p]["exp_avg_sq"] for p in params])
    return flat(params), m, v, np.array(norms, dtype=np.float64)


def main():
    torch.manual_seed(1234)
    init = [torch.rand(s) * 3 - 1.5 for s in SHAPES]
    a = [torch.rand(s) * 2.5 + 0.5 for s in SHAPES]
    c = [torch.rand(s) * 2 - 1 for s in SHAPES]
    out = {
        "init": torch.cat([t.reshape(-1) for t in init]),
        "a": torch.cat([t.reshape(-1) for t in a]),
        "c": torch.cat([t.reshape(-1) for t in c]),
        "lr": np.array([lr_at(s) for s in range(1, STEPS + 1)], dtype=np.float64),
    }
    for name, adamw, max_norm in [("adam", False, 0.0), ("adamw_clip", True, 1.0)]:
        p, m, v, norms = run(init, a, c, adamw, max_norm)
        out[name + ".param"], out[name + ".m"], out[name + ".v"] = p, m, v
        if max_norm:
            out[name + ".norm"] = norms
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "adam.bin")
    write_fixture(path, out)
    print("wrote", os.path.normpath(path), "norms", out["adamw_clip.norm"])


if __name__ == "__main__":
    main()
