"""Reference fixture for the FID Inception-v3 (tests/unit/test_inception.c) and a round
trip of the weights converter jobs/convert_fid_inception.py.

Run from the repository root with Debian's torch and h5py:
    /usr/bin/python3 tests/reference/gen_inception.py
1. Builds the PyTorch reference (inception_ref.py) with the deterministic test weights
   (the same bits C's inception_test_tensor computes), checking that its state-dict keys
   and shapes are exactly the converter's expected list, in the same order.
2. Saves that state dict as a .pth in a temporary directory, runs the converter on it,
   and checks every dataset, the attributes and weights_crc32 (stored in the fixture: the
   C test compares it with the CRC of its own weights). Also checks that the converter
   rejects a missing tensor, a wrong shape and an unknown key.
   With `--h5 PATH` the converted file is kept at PATH: `VDMC_INCEPTION_TEST_H5=PATH
   ctest -R unit.inception` then also loads this converter-written file in C.
3. Runs 2 RGB 32x32 images and 1 grayscale 28x28 image (uint8) through the network in
   float64 and stores images, pool3 and logits (tests/fixtures/inception.fix).
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "jobs"))
from convert_fid_inception import convert_state_dict, expected_tensors  # noqa: E402
from fixture_io import write_fixture  # noqa: E402
from inception_ref import FIDInception3, test_tensor  # noqa: E402

CONVERTER = os.path.join(ROOT, "jobs", "convert_fid_inception.py")


def to_torch(key, stored):
    if key.endswith(".conv.weight"):
        return stored.transpose(3, 2, 0, 1)  # (kh,kw,Cin,Cout) -> (Cout,Cin,kh,kw)
    return stored.T if key == "fc.weight" else stored


def build_model():
    model = FIDInception3()
    sd = model.state_dict()
    keys = [k for k in sd if not k.endswith("num_batches_tracked")]
    expected = expected_tensors()
    assert keys == [k for k, _, _ in expected], "reference and converter disagree on the tensor list"
    stored = {}
    for i, (key, torch_shape, stored_shape) in enumerate(expected):
        assert tuple(sd[key].shape) == torch_shape, key
        stored[key] = test_tensor(i, key, stored_shape)
        sd[key] = torch.from_numpy(np.ascontiguousarray(to_torch(key, stored[key])))
    model.load_state_dict(sd)
    return model.eval(), stored


def expect_failure(state_dict, what, tmp):
    out = os.path.join(tmp, "bad.h5")
    try:
        convert_state_dict(state_dict, out, "bad.pth")
    except ValueError as e:
        assert not os.path.exists(out) and not os.path.exists(out + ".tmp")
        print(f"converter rejects {what}: {e}")
        return
    raise AssertionError(f"converter accepted {what}")


def converter_round_trip(model, stored, keep):
    with tempfile.TemporaryDirectory() as tmp:
        pth, h5 = os.path.join(tmp, "weights.pth"), os.path.join(tmp, "weights.h5")
        torch.save(model.state_dict(), pth)
        subprocess.run([sys.executable, CONVERTER, pth, h5], check=True)
        with h5py.File(h5, "r") as f:
            assert f.attrs["vdmc_kind"] == "inception-v3-fid" and int(f.attrs["format_version"]) == 1
            crc = int(f.attrs["weights_crc32"])
            assert len(f.keys()) == len(stored)
            for key, value in stored.items():
                assert f[key].dtype == np.float32 and np.array_equal(f[key][()], value), key
        if keep:
            shutil.copyfile(h5, keep)
            print(f"kept the converted file as {keep}")
        sd = {k: v for k, v in model.state_dict().items()}
        missing = dict(sd)
        del missing["Mixed_6c.branch7x7dbl_3.bn.running_var"]
        expect_failure(missing, "a missing tensor", tmp)
        wrong = dict(sd)
        wrong["fc.weight"] = wrong["fc.weight"].T
        expect_failure(wrong, "a transposed fc.weight", tmp)
        extra = dict(sd)
        extra["AuxLogits.fc.weight"] = torch.zeros(1008, 768)
        expect_failure(extra, "an unknown key", tmp)
    return crc


def main():
    model, stored = build_model()
    keep = sys.argv[sys.argv.index("--h5") + 1] if "--h5" in sys.argv else None
    crc = converter_round_trip(model, stored, keep)
    gen = torch.Generator().manual_seed(1512)
    rgb = torch.randint(0, 256, (2, 32, 32, 3), generator=gen, dtype=torch.uint8)
    gray = torch.randint(0, 256, (1, 28, 28, 1), generator=gen, dtype=torch.uint8)
    arrays = {"crc": np.array([crc], dtype=np.float64), "rgb": rgb.int(), "gray": gray.int()}
    with torch.no_grad():
        for name, images in (("rgb", rgb), ("gray", gray)):
            pool3, logits = model.double()(images)
            p32, l32 = model.float()(images)
            print(f"{name}: pool3 mean {pool3.mean():.3f} max {pool3.max():.3f}, logits std {logits.std():.3f}; "
                  f"float32 vs float64: pool3 {float((p32 - pool3).abs().max() / pool3.abs().max()):.2e}, "
                  f"logits {float((l32 - logits).abs().max() / logits.abs().max()):.2e}")
            arrays[f"pool3_{name}"], arrays[f"logits_{name}"] = pool3.float(), logits.float()
    path = os.path.join(HERE, "..", "fixtures", "inception.fix")
    write_fixture(path, arrays)
    print(f"{path}: {os.path.getsize(path)} bytes, weights_crc32 {crc:08x}")


if __name__ == "__main__":
    main()
