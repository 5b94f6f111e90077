"""Writes the .npy/.npz fixtures of the io tests with real numpy (run from this directory).

Values follow simple formulas (i / 7 over the C-order index i) that the tests rebuild in Java.
Run: python3 make_fixtures.py   (numpy 2.x; the outputs are committed, the tests need no python).
"""
import os
import zipfile

import numpy as np
from numpy.lib import format as npformat

OUT = "npy"
f4, f8 = np.float32, np.float64


def sevenths(shape, dtype=f8):
    """C-order index i / 7, computed in dtype (float32 division rounds like Java's float division)."""
    n = int(np.prod(shape))
    return (np.arange(n, dtype=dtype) / dtype(7)).reshape(shape)


def save(name, array, **kw):
    np.save(os.path.join(OUT, name), array, **kw)


def write_version(name, array, version):
    with open(os.path.join(OUT, name), "wb") as fp:
        npformat.write_array(fp, array, version=version)


os.makedirs(OUT, exist_ok=True)

# Byte orders.
save("be_f4.npy", sevenths((2, 3), f4).astype(">f4"))
save("be_f8.npy", sevenths((5,)).astype(">f8"))
save("be_i4.npy", np.array([-2, 0, 1, 2**31 - 1], dtype=">i4"))

# Fortran order (numpy stores the data column-major and says so in the header).
save("fortran_2d.npy", np.asfortranarray(sevenths((3, 4))))
save("fortran_3d.npy", np.asfortranarray(sevenths((2, 3, 4), f4)))
save("fortran_be_4d.npy", np.asfortranarray(sevenths((2, 1, 3, 2)).astype(">f8")))

# Header versions 2.0 and 3.0.
write_version("v2.npy", sevenths((3, 2)), (2, 0))
write_version("v3.npy", sevenths((2, 2), f4), (3, 0))

# 0-d, empty, float16.
save("scalar_f8.npy", np.array(2.5))
save("scalar_f4.npy", np.array(-1.25, dtype=f4))
save("empty.npy", np.zeros((0, 3)))
save("f2.npy", (np.arange(4) / 8).astype("<f2"))

# Integer and bool arrays (read as float64).
save("i8.npy", np.array([[-3, 0, 7], [2**40, -(2**40), 1]], dtype="<i8"))
save("i4.npy", np.array([-(2**31), 5, 2**31 - 1], dtype="<i4"))
save("i2.npy", np.array([-32768, 1, 32767], dtype="<i2"))
save("i1.npy", np.array([-128, 0, 127], dtype="i1"))
save("u1.npy", np.array([0, 1, 255], dtype="u1"))
save("u2.npy", np.array([0, 65535], dtype="<u2"))
save("u4.npy", np.array([0, 2**32 - 1], dtype="<u4"))
save("u8.npy", np.array([0, 2**63, 2**64 - 1], dtype="<u8"))
save("bool.npy", np.array([[True, False, True], [False, False, True]]))

# Types that must be rejected.
save("c16.npy", np.array([1 + 2j, 3 - 1j]))
save("object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
save("unicode.npy", np.array(["abc", "de"]))
save("structured.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))

# Archives: the same arrays stored and deflated.
arrays = dict(
    q=sevenths((3, 4)),
    k1=sevenths((2, 3, 4), f4),
    scale=np.array(0.5),
    tokens=np.array([3, 1, 4, 1, 5], dtype=np.int64),
    mask=np.array([True, False, True]),
    fort=np.asfortranarray(sevenths((3, 4))),
)
np.savez(os.path.join(OUT, "savez.npz"), **arrays)
np.savez_compressed(os.path.join(OUT, "savez_compressed.npz"), **arrays)
np.savez(os.path.join(OUT, "complex.npz"), ok=np.zeros(2), z=np.array([1j]))
with zipfile.ZipFile(os.path.join(OUT, "not_npy_entry.npz"), "w") as z:
    z.writestr("notes.txt", "hello")

# What numpy.save writes, byte for byte, for the writer to match.
save("save_f8_2d.npy", sevenths((3, 4)))
save("save_f4_3d.npy", sevenths((2, 3, 4), f4))
save("save_f8_0d.npy", np.array(2.5))
save("save_f4_1d.npy", sevenths((5,), f4))
save("save_f8_empty.npy", np.zeros((12345, 0)))

# A digest of the golden data as numpy reads it: the tests compare the Java reader against it.
GOLDEN = os.path.join("..", "..", "..", "..", "testdata", "golden")
with open("golden_digest.tsv", "w") as out:
    out.write("# file\tarray\tdescr\tshape\tsum\tfirst\tlast\n")
    for folder in ("cases", "expected"):
        for name in sorted(os.listdir(os.path.join(GOLDEN, folder))):
            with np.load(os.path.join(GOLDEN, folder, name)) as z:
                for key in z.files:
                    a = z[key]
                    flat = a.reshape(-1).astype(np.float64)
                    shape = ",".join(str(s) for s in a.shape)
                    out.write(f"{folder}/{name}\t{key}\t{a.dtype.str}\t{shape}\t{float(flat.sum())!r}"
                              f"\t{float(flat[0])!r}\t{float(flat[-1])!r}\n")
