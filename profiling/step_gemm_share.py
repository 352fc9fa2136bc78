#!/usr/bin/env python3
# Where a bench_step run with `bf16` spends its steps, from `perf script` of a
# `perf record --call-graph dwarf` of it (profiling/bf16_ceiling.sh runs both): the samples
# whose call chain passes through time_steps but not warm_up_step (the timed steps, not
# the GEMM peak runs around them nor the untimed first step), split into the fp32 steps and the bf16 steps at the first sample inside
# the bf16 kernel (gemm_bf16_*), and each sample's leaf counted as GEMM work (OpenBLAS's
# sgemm kernel and copies, gemm_small's and the bf16 kernel's tiles and packing) or not.
# Prints both shares, the bf16 step's speed-up on each part, and the Amdahl ceiling of
# the step's speed-up: 1 / (X + G / r) with G and X the fp32 step's GEMM and other
# shares, for r = the bf16 GEMM peak over sgemm's (argument 1, from bench_step's own
# line) and r = 2 (the instruction's rate).
# usage: perf script -i DATA | step_gemm_share.py PEAK_RATIO
import collections
import re
import sys

GEMM = re.compile(r"^(sgemm_kernel|sgemm_\w*copy|tile$|run$|run\.|pack_b$|gemm_bf16_avx512)")
FRAME = re.compile(r"^\s+[0-9a-f]+\s+(.*?)(\+0x[0-9a-f]+)?\s+\(")
STAMP = re.compile(r"\s(\d+\.\d+):")


def samples(lines):
    """(time, [leaf, caller, ...]) per sample of perf script's output."""
    stamp, chain = None, []
    for line in lines:
        if not line.strip():
            if stamp is not None and chain:
                yield stamp, chain
            stamp, chain = None, []
        elif line[0] in " \t":
            m = FRAME.match(line)
            if m:
                chain.append(m.group(1))
        else:
            m = STAMP.search(line)
            stamp = float(m.group(1)) if m else None
    if stamp is not None and chain:
        yield stamp, chain


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: perf script -i DATA | step_gemm_share.py PEAK_RATIO")
    peak = float(sys.argv[1])
    steps = [(t, c) for t, c in samples(sys.stdin)
             if any(f.startswith("time_steps") for f in c)
             and not any(f.startswith("warm_up_step") for f in c)]
    in_kernel = [t for t, c in steps if any(f.startswith("gemm_bf16") for f in c)]
    if not steps or not in_kernel:
        sys.exit("step_gemm_share: no samples in time_steps, or none in the bf16 kernel "
                 "(a bench_step run with bf16 on an AVX512-BF16 host, recorded with "
                 "--call-graph dwarf?)")
    cut = min(in_kernel)
    parts = {}
    for name, chains in (("fp32", [c for t, c in steps if t < cut]),
                         ("bf16", [c for t, c in steps if t >= cut])):
        leaves = collections.Counter(c[0] for c in chains)
        gemm = sum(n for leaf, n in leaves.items() if GEMM.match(leaf))
        parts[name] = (len(chains), gemm)
        top = ", ".join("%s %.1f%%" % (leaf, 100.0 * n / len(chains))
                        for leaf, n in leaves.most_common(6))
        print("  %s steps: %d samples, GEMM work %.1f%%; top leaves: %s"
              % (name, len(chains), 100.0 * gemm / len(chains), top))
    (n32, g32), (n16, g16) = parts["fp32"], parts["bf16"]
    G, X = g32 / n32, 1.0 - g32 / n32
    print("  bf16 over fp32 (samples, same steps): step %.2fx, GEMM work %.2fx, the rest %.2fx"
          % (n32 / n16, g32 / g16, (n32 - g32) / (n16 - g16)))
    print("RESULT step=%.3f ceiling_peak=%.3f ceiling_2x=%.3f gemm_share=%.3f peak_ratio=%.2f"
          % (n32 / n16, 1.0 / (X + G / peak), 1.0 / (X + G / 2.0), G, peak))


if __name__ == "__main__":
    main()
