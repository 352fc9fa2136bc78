"""PyTorch side of tests/cli/export_torch.sh: the model of a `vdmc export` file, built by
python/vdmc_torch.py, against vdmc's own outputs (`test_export denoise`): the denoiser on
fixed (z, lambda, labels) and a guided DDPM sample from vdmc's noise draws. Prints the
max relative differences and exits 1 when the denoiser differs by more than 1e-5 or the
sample by more than DDPM_TOL, or when the --bf16 / --f16 exports differ from PyTorch's
own rounding of the f32 weights. --resave writes the model back (vdmc_torch.save).
--out writes PyTorch's outputs (NHWC, as vdmc's) for the
committed fixture CI compares against when it has no torch.
Run: /usr/bin/python3 tests/reference/torch_parity.py MODEL.safetensors VDMC_OUT.safetensors [--out F]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import vdmc_torch  # noqa: E402

DENOISER_TOL = 1e-5
DDPM_TOL = 1e-5  # 8 guided steps; measured ~1e-7 (float32 rounding of two implementations)


def nchw(t):
    return t.permute(0, 3, 1, 2).contiguous()


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def rel(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("vdmc_out")
    ap.add_argument("--out")
    ap.add_argument("--bf16", help="the same model exported with --dtype bf16")
    ap.add_argument("--f16", help="the same model exported with --dtype f16")
    ap.add_argument("--resave", help="write the loaded model back with vdmc_torch.save")
    args = ap.parse_args()
    torch.set_num_threads(1)
    m = vdmc_torch.load(args.model)
    ref, meta = vdmc_torch.read_safetensors(args.vdmc_out)
    labels = ref["labels"].long() if m.num_classes else None
    out = nhwc(m.denoise(nchw(ref["z"]), ref["lambda"], labels))
    steps, guidance = int(meta["ddpm_steps"]), float(meta["ddpm_guidance"])
    noise = ref["ddpm_noise"]
    ddpm_labels = ref["ddpm_labels"].long() if m.num_classes else None
    x = nhwc(m.sample_ddpm(noise.shape[1], steps, labels=ddpm_labels, guidance=guidance,
                           noise=lambda k, shape: nchw(noise[k])))
    e_out, e_x = rel(out, ref["out"]), rel(x, ref["ddpm_x"])
    arch = json.loads(m.metadata["vdmc_model"])["arch"]
    print(f"{arch}: denoiser max rel diff {e_out:.3g} (tolerance {DENOISER_TOL:g}), "
          f"DDPM {steps} steps guidance {guidance:g}: {e_x:.3g} (tolerance {DDPM_TOL:g})")
    if args.out:
        vdmc_torch.write_safetensors(args.out, {"out": out, "ddpm_x": x},
                                     {"torch": torch.__version__, "model": os.path.basename(args.model)})
    narrow_ok = True
    weights, _ = vdmc_torch.read_safetensors(args.model)
    for path, dtype in ((args.bf16, torch.bfloat16), (args.f16, torch.float16)):
        if path:  # vdmc's rounding is PyTorch's: the files hold what .to(dtype) gives
            narrowed, _ = vdmc_torch.read_safetensors(path)
            same = narrowed.keys() == weights.keys() and all(
                torch.equal(weights[k].to(dtype).float(), narrowed[k]) for k in weights)
            print(f"{os.path.basename(path)}: every value equals PyTorch's .to({dtype}): {same}")
            narrow_ok &= same
    if args.resave:
        vdmc_torch.save(args.resave, m)
    return 0 if e_out <= DENOISER_TOL and e_x <= DDPM_TOL and narrow_ok else 1


if __name__ == "__main__":
    sys.exit(main())
