"""What crossing the Python/Java boundary costs: to_java (numpy -> Java array) and from_java (Java array ->
numpy) against one numpy copy of the same bytes, for 64 MiB of float32 and of float64.

    PYTHONPATH=python /usr/bin/python3 python/bench/crossing.py

Each direction is one bulk copy by construction: the numpy buffer is wrapped (not copied) as a direct
java.nio buffer and copied once into, or out of, the Java array. A ratio near 1 to numpy's own copy into fresh memory
shows it (page faults on fresh memory cost both sides about as much as the copy itself)."""

import statistics
import time

import numpy as np

from tensor_attention import _api


def best(fn, reps=7):
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main():
    _api.java()
    for dtype in (np.float32, np.float64):
        a = np.random.default_rng(0).random(64 * 2 ** 20 // np.dtype(dtype).itemsize).astype(dtype)
        t = _api.to_java(a)
        copy = best(lambda: a.copy())  # into fresh memory, as both crossings write
        into = best(lambda: _api.to_java(a))
        back = best(lambda: _api.from_java(t))
        assert np.array_equal(_api.from_java(t), a)
        print(f"{np.dtype(dtype).name}, 64 MiB: numpy copy {copy[0] * 1e3:.1f} ms; to_java {into[0] * 1e3:.1f} ms "
              f"({into[0] / copy[0]:.2f} copies); from_java {back[0] * 1e3:.1f} ms ({back[0] / copy[0]:.2f} copies) "
              f"[best of 7; medians {copy[1] * 1e3:.1f} / {into[1] * 1e3:.1f} / {back[1] * 1e3:.1f} ms]")


if __name__ == "__main__":
    main()
