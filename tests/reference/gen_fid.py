"""Reference Fréchet distances for tests/unit/test_fid.c, from SciPy's sqrtm (the
pytorch-fid formula: FD = |mu1-mu2|^2 + Tr S1 + Tr S2 - 2 Tr sqrtm(S1 S2)).

Matrices come from a formula the C test reproduces exactly (integer hash, see
hash_uniform), so only the small case is stored whole:
  fid_ref.fix: d = 64: mu1, sigma1, mu2, sigma2 (float64) and fd;
               d = 2048: only fd_2048 (the test regenerates the matrices).
Run: /usr/bin/python3 tests/reference/gen_fid.py  (writes tests/fixtures/fid_ref.fix)
"""
import os
import sys

import numpy as np
import scipy.linalg

sys.path.insert(0, os.path.dirname(__file__))
from fixture_io import write_fixture  # noqa: E402

M32 = 0xFFFFFFFF


def hash_uniform(index, seed):
    """Uniform in [-0.5, 0.5) from element index and seed: murmur3's 32-bit finalizer
    of (index + seed * 0x9E3779B9) mod 2^32, divided by 2^32."""
    h = (index.astype(np.uint64) + np.uint64((seed * 0x9E3779B9) & M32)) & np.uint64(M32)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & np.uint64(M32)
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & np.uint64(M32)
    h ^= h >> np.uint64(16)
    return h.astype(np.float64) / 4294967296.0 - 0.5


def gaussian(d, seed):
    """mu (d) = hash_uniform(i, seed + 1000); sigma = A A^T / d + 0.01 I with
    A (d, d) = hash_uniform(i * d + j, seed)."""
    idx = np.arange(d * d, dtype=np.uint64)
    a = hash_uniform(idx, seed).reshape(d, d)
    sigma = a @ a.T / d + 0.01 * np.eye(d)
    mu = hash_uniform(np.arange(d, dtype=np.uint64), seed + 1000)
    return mu, sigma


def frechet(mu1, s1, mu2, s2):
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    if np.iscomplexobj(covmean):
        assert np.max(np.abs(covmean.imag)) < 1e-8, np.max(np.abs(covmean.imag))
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def main():
    out = {}
    mu1, s1 = gaussian(64, 1)
    mu2, s2 = gaussian(64, 2)
    out.update(mu1=mu1, sigma1=s1, mu2=mu2, sigma2=s2)
    out["fd"] = np.array([frechet(mu1, s1, mu2, s2)])
    mu1, s1 = gaussian(2048, 1)
    mu2, s2 = gaussian(2048, 2)
    out["fd_2048"] = np.array([frechet(mu1, s1, mu2, s2)])
    out["check_2048"] = np.array([s1[0, 0], s1[2047, 5], s2[17, 1999], mu2[2047]])
    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "fid_ref.fix")
    write_fixture(path, out)
    print("fd(64) = %.12g, fd(2048) = %.12g -> %s" % (out["fd"][0], out["fd_2048"][0], path))


if __name__ == "__main__":
    main()
