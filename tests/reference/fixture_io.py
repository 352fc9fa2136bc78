"""Writer for vdmc reference fixtures (read by tests/common/fixture.c).

Layout (little endian): magic b"VDMCFIX1", u32 count, then per array:
u32 name_len, name bytes, u32 ndim, ndim x u64 dims, u32 dtype
(0 float32, 1 int32, 2 float64), raw data in C order.
"""
import struct

import numpy as np

_DTYPES = {np.dtype(np.float32): 0, np.dtype(np.int32): 1, np.dtype(np.float64): 2}


def write_fixture(path, arrays):
    """arrays: dict name -> numpy array (or torch tensor). Float tensors are stored
    as float32 unless they are float64 numpy arrays; integer ones as int32."""
    with open(path, "wb") as f:
        f.write(b"VDMCFIX1")
        f.write(struct.pack("<I", len(arrays)))
        for name, a in arrays.items():
            if hasattr(a, "detach"):
                a = a.detach().cpu().numpy()
            a = np.asarray(a)
            if a.dtype.kind == "f" and a.dtype != np.float64:
                a = a.astype(np.float32)
            elif a.dtype.kind in "iub":
                a = a.astype(np.int32)
            a = np.ascontiguousarray(a)
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)))
            f.write(nb)
            f.write(struct.pack("<I", a.ndim))
            for d in a.shape:
                f.write(struct.pack("<Q", d))
            f.write(struct.pack("<I", _DTYPES[a.dtype]))
            f.write(a.tobytes())
