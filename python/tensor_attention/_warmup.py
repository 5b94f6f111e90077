"""Background warm-up: the JIT compiles the Vector API kernels on small problems while the caller gets ready.

Until C2 has compiled them the kernels run interpreted, many times slower (docs/PYTHON.md has the figures), so
the first real call of a fresh process would pay seconds. From import on, a daemon thread runs forward and
backward calls on small problems, on one library thread: float32 then float64, order 3 then 2, a wide and a
narrow head, 20 rounds each. The first API call stops it (see settle). TENSOR_ATTENTION_WARMUP=0 turns it
off."""

import atexit
import os
import threading

import numpy as np

from . import _api

ROUNDS = 20
# (n, d): at least one key block and one 4-vector value stripe on AVX-512 (so the main loops compile), then a
# narrow head (so the remainder loops compile before a small model needs them). The order is the order of
# need: float32 (training) before float64, order 3 before 2, the wide shape first.
SHAPES = ((96, 64), (40, 16))
PHASES = [(np.dtype(dt), order, shape) for dt in (np.float32, np.float64) for order in (3, 2) for shape in SHAPES]
_thread = None
_stop = threading.Event()
_done = threading.Event()


def _problem(dtype, order, n, d):
    rng = np.random.default_rng(0)
    arrays = [_api.to_java(rng.uniform(-1, 1, (n, d)).astype(dtype)) for _ in range(2 * order)]
    return arrays[0], arrays[1:order], arrays[order:2 * order - 1], arrays[-1]


def _run():
    try:
        opts = _api.options(threads=1)
        for dtype, order, (n, d) in PHASES:
            q, ks, vs, dout = _problem(dtype, order, n, d)
            for _ in range(ROUNDS):
                if _stop.is_set():
                    return
                r = _api.java_forward(q, ks, vs, opts)
                _api.java_backward(q, ks, vs, dout, r, opts)
    finally:
        _done.set()


def _launch():
    global _thread
    _api.java()  # in the caller's thread: a missing JDK or jar is reported there, not lost in the thread
    _thread = threading.Thread(target=_run, name="tensor-attention-warmup", daemon=True)
    _thread.start()
    # Interpreter exit and a thread inside a Java call do not mix: stop between calls, wait for the current one.
    atexit.register(_finish)


def start():
    """Starts the warm-up thread once, unless TENSOR_ATTENTION_WARMUP=0."""
    if _thread is None and os.environ.get("TENSOR_ATTENTION_WARMUP", "1") != "0":
        _launch()


def _finish():
    _stop.set()
    _thread.join()


def settle():
    """Every API call comes here first. The caller's own call warms the JIT as well as the background would, so
    the warm-up stops after its current small call and leaves the cores to the caller. The call does not wait
    for that small call (under load even one can take seconds while still interpreted); it finds compiled
    whatever the warm-up reached."""
    _stop.set()


def warm_up(wait_for_it=True):
    """Starts the warm-up if it has not run (TENSOR_ATTENTION_WARMUP=0 keeps it from starting on import) and by
    default waits until it has run through: for benchmarks, or before a first call that must be fast."""
    if _thread is None:
        _launch()
    if wait_for_it:
        _done.wait()
