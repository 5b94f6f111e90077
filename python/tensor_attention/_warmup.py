"""Background warm-up: the JIT compiles the Vector API kernels on small problems while the caller gets ready.

Until C2 has compiled them the kernels run interpreted, many times slower (docs/PYTHON.md has the figures), so
the first real call of a fresh process would pay seconds. A daemon thread runs 20 rounds of forward and
backward calls on two small shapes, on one library thread, for each of float32 and float64, orders 3 and 2,
in that order. A call waits for the phase of its own dtype and order, since a cold call costs more than the
rest of that phase. TENSOR_ATTENTION_WARMUP=0 turns it off."""

import atexit
import os
import threading

import numpy as np

from . import _api

ROUNDS = 20
# (n, d): at least one key block and one 4-vector value stripe on AVX-512 (so the main loops compile), and a
# narrow head (so the remainder loops compile before a small model first needs them).
SHAPES = ((96, 64), (40, 16))
# The order of the phases is the order of need: float32 (training) before float64, order 3 before 2.
PHASES = [(np.dtype(dt), order) for dt in (np.float32, np.float64) for order in (3, 2)]
_thread = None
_stop = threading.Event()
_ready = {phase: threading.Event() for phase in PHASES}


def _problem(dtype, order, n, d):
    rng = np.random.default_rng(0)
    arrays = [_api.to_java(rng.uniform(-1, 1, (n, d)).astype(dtype)) for _ in range(2 * order)]
    return arrays[0], arrays[1:order], arrays[order:2 * order - 1], arrays[-1]


def _run():
    try:
        opts = _api.options(threads=1)
        for phase in PHASES:
            problems = [_problem(*phase, n, d) for n, d in SHAPES]
            for _ in range(ROUNDS):
                for q, ks, vs, dout in problems:
                    if _stop.is_set():
                        return
                    r = _api.java_forward(q, ks, vs, opts)
                    _api.java_backward(q, ks, vs, dout, r, opts)
            _ready[phase].set()
    finally:
        for e in _ready.values():
            e.set()


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


def wait(dtype=None, order=None):
    """Blocks until the warm-up has compiled the kernels of this dtype and order (all when not given); every
    API call does this first, since a cold call costs more than the rest of the warm-up."""
    if _thread is None:
        return
    key = (np.dtype(dtype), order) if dtype is not None else None
    for phase, event in _ready.items():
        if key is None or phase == key:
            event.wait()


def warm_up(wait_for_it=True):
    """Starts the warm-up now if it has not run (TENSOR_ATTENTION_WARMUP=0 keeps it from starting on import) and
    by default waits for it."""
    if _thread is None:
        _launch()
    if wait_for_it:
        wait()
