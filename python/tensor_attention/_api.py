"""The numpy API: forward, backward and loss_gradient on the library's Java kernels.

Each array crosses the boundary with one copy each way: numpy memory is wrapped as a direct
java.nio buffer (no copy) and bulk-copied into a Java array (the copy), and results are bulk-copied
from the Java array straight into a freshly allocated numpy array."""

import math
import threading
from dataclasses import dataclass, field
from typing import List, Optional

import jpype
import numpy as np

from . import _jvm, _warmup

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _Java:
    """The Java classes, looked up once after the JVM is up."""

    def __init__(self):
        J = jpype.JClass
        self.TensorAttention = J("org.tensorattention.core.TensorAttention")
        self.Tensor = J("org.tensorattention.core.Tensor")
        self.DType = J("org.tensorattention.core.DType")
        self.Options = J("org.tensorattention.core.AttentionOptions")
        self.Mask = J("org.tensorattention.core.Mask")
        self.Packed = J("org.tensorattention.core.Packed")
        self.Layout = J("org.tensorattention.core.AttentionOptions$Layout")
        self.Method = J("org.tensorattention.core.Method")
        self.LossGradient = J("org.tensorattention.core.loss.LossGradient")
        self.ExactDecoder = J("org.tensorattention.core.decode.ExactDecoder")
        self.Arrays = J("java.util.Arrays")
        self.native = J("java.nio.ByteOrder").nativeOrder()
        self.IllegalArgument = J("java.lang.IllegalArgumentException")
        self.Unsupported = J("java.lang.UnsupportedOperationException")
        try:
            self.Vectorization = J("org.tensorattention.core.Vectorization")
        except Exception:
            self.Vectorization = None


_java = None


def java():
    global _java
    if _java is None:
        _jvm.start()
        _java = _Java()
    return _java


def to_java(a):
    """A numpy float32/float64 array as a Java Tensor: one bulk copy into a new Java array."""
    j = java()
    # ascontiguousarray makes a 0-d array 1-d: keep the shape, so that messages name the array as given.
    a = np.ascontiguousarray(a).reshape(np.shape(a))
    if a.dtype == np.float32:
        data = jpype.JFloat[a.size]
        if a.size:
            jpype.nio.convertToDirectBuffer(a).order(j.native).asFloatBuffer().get(data)
    else:
        data = jpype.JDouble[a.size]
        if a.size:
            jpype.nio.convertToDirectBuffer(a).order(j.native).asDoubleBuffer().get(data)
    return j.Tensor.of(data, jpype.JInt[:](list(a.shape)))


def from_java(t):
    """A Java Tensor as a new numpy array: one bulk copy out of the Java array."""
    j = java()
    shape = tuple(int(s) for s in t.shape())
    if str(t.dtype().name()) == "FLOAT32":
        out = np.empty(shape, np.float32)
        if out.size:
            jpype.nio.convertToDirectBuffer(out).order(j.native).asFloatBuffer().put(t.floats())
    else:
        out = np.empty(shape, np.float64)
        if out.size:
            jpype.nio.convertToDirectBuffer(out).order(j.native).asDoubleBuffer().put(t.doubles())
    return out


def _java_list(tensors):
    # java.util.List.of(a, b) is ambiguous from Python (varargs against fixed arities): Arrays.asList is not.
    return java().Arrays.asList(tensors)


def _array(name, x, dtype=None):
    """x as a numpy array of a float dtype the kernels take (dtype when given: q's, as the Java API casts)."""
    try:
        a = np.asarray(x)
    except (TypeError, RuntimeError) as e:
        # e.g. a torch tensor that requires grad, lives on another device, or is bfloat16.
        raise ValueError(f"{name} cannot be read as a numpy array: {str(e).splitlines()[0]}") from None
    if a.dtype not in _DTYPES:
        raise ValueError(f"{name} has dtype {a.dtype}: expected float32 or float64")
    if dtype is not None and a.dtype != dtype:
        with np.errstate(over="ignore"):
            cast = a.astype(dtype)
        # A finite float64 past float32's range would reach the library as inf and be called non-finite.
        lost = np.isinf(cast) & np.isfinite(a)
        if lost.any():
            raise ValueError(f"{name} has a value ({a[lost][0]:g}) beyond the range of {np.dtype(dtype)}, "
                             "the dtype it is cast to")
        a = cast
    return a


_INT_MAX = 2 ** 31 - 1


def _java_int(name, x, what=None):
    """x as an int that fits the library's Java int: a float such as 2.5 is refused, not truncated, and a
    value past 2^31 - 1 is named instead of failing in JPype's conversion with a two-line OverflowError."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise ValueError(f"{what or name + ' must be an int'}, got {x!r}")
    if abs(int(x)) > _INT_MAX:
        raise ValueError(f"{name} {int(x)} is too large: the library takes at most {_INT_MAX}")
    return int(x)


def _size(name, x, least):
    """A size such as order, heads or d: an int of at least least (not a bool, not a float) within a Java int."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < least:
        raise ValueError(f"{name} must be an int of at least {least}, got {x!r}")
    return _java_int(name, x)


def _number(x, what):
    """float(x), refused with what (the option's rule) instead of float()'s TypeError that names no option."""
    try:
        return float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what}, got {x!r}") from None


def _sequence(name, xs):
    if isinstance(xs, np.ndarray) or not hasattr(xs, "__len__"):
        raise ValueError(f"{name} must be a sequence of arrays ([{name[0]}1, {name[0]}2] for order 3), "
                         f"got {type(xs).__name__}")
    return list(xs)


class call:
    """Runs Java code and turns the library's bad-input exceptions into ValueError with its one-line message."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if value is None:
            return False
        j = java()
        if isinstance(value, (j.IllegalArgument, j.Unsupported)):
            # from None: the Java stack trace would only repeat the message.
            raise ValueError(str(value.getMessage())) from None
        return False


def options(causal=False, window=None, scale=None, method="exact", epsilon=1e-4, threads=0, d=None, band=None,
            layout="bhsd"):
    """AttentionOptions from the keyword arguments, checked as the command line checks its flags."""
    j = java()
    with call():
        if window is not None:
            widths = [window] if np.isscalar(window) else list(window)
            mask = j.Mask.window(jpype.JInt[:]([_java_int("window width", w, "window widths must be ints")
                                                  for w in widths]))
        elif causal:
            mask = j.Mask.CAUSAL
        else:
            mask = j.Mask.FULL
        if band is not None:
            if isinstance(band, bool) or not isinstance(band, (int, np.integer)) or band < 1:
                raise ValueError(f"band must be an int of at least 1, got {band!r}")
            mask = mask.withBand(_java_int("band", band))
        sqrt = False
        if scale is None:
            c = math.nan
        elif isinstance(scale, str):
            if scale != "sqrt":
                raise ValueError(f"scale must be a number or 'sqrt', got '{scale}'")
            c, sqrt = math.nan, True
        else:
            c = _number(scale, "scale must be a number or 'sqrt'")
            if not math.isfinite(c):
                raise ValueError(f"scale must be finite, got {c}")
        if not isinstance(method, str):
            raise ValueError(f"method must be 'exact', 'poly' or 'auto', got {method!r}")
        if layout not in ("bhsd", "bshd"):
            raise ValueError(f"layout must be 'bhsd' or 'bshd', got {layout!r}")
        o = j.Options(c, mask, j.Method.parse(method), _number(epsilon, "epsilon must be a number"),
                      _java_int("threads", threads))
        o = o.withLayout(j.Layout.valueOf(layout.upper()))
        return o.withSqrtScale() if sqrt else o


def _offsets(cu_seqlens, cu_seqlens_q, cu_seqlens_k):
    """(cuQ, cuK) as Java int arrays, or None when the batch is not packed."""
    if cu_seqlens is not None and (cu_seqlens_q is not None or cu_seqlens_k is not None):
        raise ValueError("give cu_seqlens or cu_seqlens_q and cu_seqlens_k, not both")
    if (cu_seqlens_q is None) != (cu_seqlens_k is None):
        raise ValueError("cu_seqlens_q and cu_seqlens_k go together")
    if cu_seqlens is None and cu_seqlens_q is None:
        return None

    def ints(name, a):
        a = np.asarray(a)
        if a.size == 0:
            raise ValueError(f"{name} must hold batch + 1 offsets from 0, got none")
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"{name} must be one dimension of int offsets, got {a.dtype} of shape {a.shape}")
        return jpype.JInt[:]([_java_int(f"{name} offset", x) for x in a])

    if cu_seqlens is not None:
        shared = ints("cu_seqlens", cu_seqlens)  # one array: the library's messages then say cu_seqlens
        return shared, shared
    return ints("cu_seqlens_q", cu_seqlens_q), ints("cu_seqlens_k", cu_seqlens_k)


def _inputs(q, keys, values):
    q = _array("q", q)
    keys = [_array(f"k{t + 1}", k, q.dtype) for t, k in enumerate(_sequence("keys", keys))]
    values = [_array(f"v{t + 1}", v, q.dtype) for t, v in enumerate(_sequence("values", values))]
    return q, keys, values


def _window_widths(window, factors):
    """An int window means the same width for every key factor."""
    if window is None or not np.isscalar(window):
        return window
    return [window] * factors


@dataclass(kw_only=True)
class _Account:
    """What ran: the method, kernel seconds, model flops, and for poly its degree, rank, R and bound."""
    method: str
    seconds: float
    flops: float
    degree: Optional[int] = None
    rank: Optional[int] = None
    radius: Optional[float] = None
    error_bound: Optional[float] = None
    lse_error_bound: Optional[float] = None
    reason: str = ""


@dataclass(kw_only=True)
class AttentionResult(_Account):
    """What forward returns: the output, the log-sum-exp (natural log; for poly within lse_error_bound) and an
    account of what ran."""
    output: np.ndarray = field(repr=False)
    lse: Optional[np.ndarray] = field(repr=False)


@dataclass(kw_only=True)
class GradientResult(_Account):
    """What backward returns: dL/dq, dL/dk_t, dL/dv_t, the forward output and an account of what ran."""
    output: np.ndarray = field(repr=False)
    dq: np.ndarray = field(repr=False)
    dk: List[np.ndarray] = field(repr=False)
    dv: List[np.ndarray] = field(repr=False)


def _poly_fields(info):
    if info is None:
        return {}
    bound = float(info.errorBound())
    # The backward reports NaN: the forward's guarantee does not carry over to gradients.
    return dict(degree=int(info.degree()), rank=int(info.rank()), radius=float(info.radius()),
                error_bound=None if math.isnan(bound) else bound,
                lse_error_bound=None if math.isnan(bound) else float(info.lseErrorBound()))


def java_forward(jq, jkeys, jvalues, opts):
    """The Java forward on Java tensors: the Java AttentionResult (kept by the torch layer for backward)."""
    j = java()
    with call():
        return j.TensorAttention.forward(jq, _java_list(jkeys), _java_list(jvalues), opts)


def java_backward(jq, jkeys, jvalues, jdout, jforward, opts):
    j = java()
    with call():
        return j.TensorAttention.backward(jq, _java_list(jkeys), _java_list(jvalues), jdout, jforward, opts)


def java_packed_forward(jq, jkeys, jvalues, cu, opts):
    """The packed forward on Java tensors, cu = (cu_q, cu_k) as Java int arrays."""
    j = java()
    with call():
        return j.Packed.forward(jq, _java_list(jkeys), _java_list(jvalues), cu[0], cu[1], opts)


def java_packed_backward(jq, jkeys, jvalues, jdout, cu, opts):
    j = java()
    with call():
        return j.Packed.backward(jq, _java_list(jkeys), _java_list(jvalues), jdout, cu[0], cu[1], opts)


def forward_result(r):
    lse = r.logSumExp()
    return AttentionResult(output=from_java(r.output()), lse=None if lse is None else from_java(lse),
                           method=str(r.method().label()), seconds=float(r.seconds()), flops=float(r.flops()),
                           reason=str(r.reason()), **_poly_fields(r.poly()))


def gradient_result(g):
    return GradientResult(output=from_java(g.output()), dq=from_java(g.dq()), dk=[from_java(t) for t in g.dk()],
                          dv=[from_java(t) for t in g.dv()], method=str(g.method().label()),
                          seconds=float(g.seconds()), flops=float(g.flops()), reason=str(g.reason()),
                          **_poly_fields(g.poly()))


def forward(q, keys, values, *, causal=False, window=None, scale=None, method="exact", epsilon=1e-4, threads=0,
            band=None, layout="bhsd", cu_seqlens=None, cu_seqlens_q=None, cu_seqlens_k=None):
    """Tensor attention of order len(keys) + 1 (SPEC.md sections 1, 2 and 7).

    q is (..., H, n, d); keys [k1, .., k_{k-1}] are (..., G, n_t, d) and values [v1, ..] are (..., G, n_t, dv),
    with H a multiple of G (grouped-query heads) and leading key dimensions of 1 broadcasting. window is one
    width per key factor (an int: the same for each) and implies causal; causal and window align bottom-right
    (query i at position n_t - n + i). band keeps tuples with max j - min j < band. scale is a number, 'sqrt'
    for 1/sqrt(d), or None for 1/d. layout 'bshd' reads and writes (batch, seq, heads, dim). cu_seqlens (or
    cu_seqlens_q and cu_seqlens_k) packs sequences along the rows: batch + 1 int offsets from 0. Returns output
    (dtype of q), lse (float64, natural log; for poly within lse_error_bound), method, seconds (kernel time), flops, and for poly
    degree, rank, radius and error_bound."""
    q, keys, values = _inputs(q, keys, values)
    _warmup.settle()
    d = q.shape[-1]
    opts = options(causal, _window_widths(window, len(keys)), scale, method, epsilon, threads, d, band, layout)
    cu = _offsets(cu_seqlens, cu_seqlens_q, cu_seqlens_k)
    jq, jk, jv = to_java(q), [to_java(k) for k in keys], [to_java(v) for v in values]
    if cu is None:
        return forward_result(java_forward(jq, jk, jv, opts))
    return forward_result(java_packed_forward(jq, jk, jv, cu, opts))


def backward(q, keys, values, dout, *, causal=False, window=None, scale=None, method="exact", epsilon=1e-4,
             threads=0, band=None, layout="bhsd", cu_seqlens=None, cu_seqlens_q=None, cu_seqlens_k=None):
    """Gradients of L given dout = dL/dO (shape of the output): dq, dk (a list), dv (a list), and output."""
    q, keys, values = _inputs(q, keys, values)
    _warmup.settle()
    dout = _array("dout", dout, q.dtype)
    d = q.shape[-1]
    opts = options(causal, _window_widths(window, len(keys)), scale, method, epsilon, threads, d, band, layout)
    cu = _offsets(cu_seqlens, cu_seqlens_q, cu_seqlens_k)
    jq, jk, jv = to_java(q), [to_java(k) for k in keys], [to_java(v) for v in values]
    if cu is None:
        return gradient_result(java_backward(jq, jk, jv, to_java(dout), None, opts))
    return gradient_result(java_packed_backward(jq, jk, jv, to_java(dout), cu, opts))


class ExactDecoder:
    """Exact decoding with a key/value cache (SPEC.md 4.1): each appended token attends to itself and every
    earlier token, exactly as its row of forward(..., causal=True) on the whole sequence, in O(n^{k-1} (d + dv))
    for n cached tokens. window (one width per key factor, or an int for all) and band narrow what a token sees;
    scale is a number, 'sqrt' for 1/sqrt(d), or None for 1/d. Inputs are cast to dtype; outputs are in dtype,
    lse in float64 (natural log).

        dec = ta.ExactDecoder(3, d, dv)
        o, lse = dec.prefill(q[:m], [k1[:m], k2[:m]], [v1[:m], v2[:m]])   # (m, dv), (m,)
        o, lse = dec.append(q[m], [k1[m], k2[m]], [v1[m], v2[m]])        # (dv,), float
    """

    def __init__(self, order, d, dv, *, dtype=np.float32, window=None, band=None, scale=None, threads=0):
        for name, x, least in (("order", order, 2), ("d", d, 1), ("dv", dv, 1)):
            _size(name, x, least)
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            raise ValueError(f"dtype must be float32 or float64, got {dtype!r}") from None
        if self.dtype not in _DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype}")
        self.order, self.d, self.dv = int(order), int(d), int(dv)
        _warmup.settle()
        j = java()
        opts = options(True, _window_widths(window, self.order - 1), scale, "exact", 1e-4, threads, self.d, band)
        with call():
            dt = j.DType.FLOAT32 if self.dtype == np.float32 else j.DType.FLOAT64
            self._decoder = j.ExactDecoder(self.order, self.d, self.dv, dt, opts)
        # The Java decoder is not thread-safe and JPype releases the GIL in Java calls: concurrent appends
        # would race on the cache's length and lose tokens.
        self._lock = threading.Lock()

    def __len__(self):
        """Tokens in the cache."""
        return int(self._decoder.length())

    def prefill(self, q, keys, values):
        """Appends m tokens, q (m, d), keys [(m, d), ..], values [(m, dv), ..]; returns o (m, dv) and lse (m,).
        Query i of the chunk sits at position len(self) + i."""
        q = _array("q", q, self.dtype)
        keys = [_array(f"k{t + 1}", k, self.dtype) for t, k in enumerate(_sequence("keys", keys))]
        values = [_array(f"v{t + 1}", v, self.dtype) for t, v in enumerate(_sequence("values", values))]
        if q.ndim != 2:
            raise ValueError(f"q must be (m, {self.d}) for prefill, got shape {q.shape}")
        jq, jk, jv = to_java(q), _java_list([to_java(k) for k in keys]), _java_list([to_java(v) for v in values])
        with self._lock, call():
            r = self._decoder.prefill(jq, jk, jv)
        return from_java(r.output()), from_java(r.logSumExp())

    def append(self, q, keys, values):
        """Appends one token, q (d,), keys [(d,), ..], values [(dv,), ..]; returns o (dv,) and lse (a float)."""
        q = _array("q", q, self.dtype)
        if q.ndim != 1:
            raise ValueError(f"q must be ({self.d},) for append (prefill takes several tokens), got shape {q.shape}")
        keys = [_array(f"k{t + 1}", k, self.dtype)[None] for t, k in enumerate(_sequence("keys", keys))]
        values = [_array(f"v{t + 1}", v, self.dtype)[None] for t, v in enumerate(_sequence("values", values))]
        o, lse = self.prefill(q[None], keys, values)
        return o[0], float(lse[0])


def loss_gradient(a1, a2, a3, a4, a5, x, y, e, *, scale=None, method="exact", epsilon=1e-4, threads=0):
    """The training loss of SPEC.md section 3, L(X) = 1/2 || D^-1 exp(c A1 X (A2 ⊗ A3)^T) (A4 ⊗ A5) Y - E ||_F^2,
    and dL/dX. Returns (loss, dx), dx in the dtype of a1."""
    j = java()
    a = [_array(f"a{t + 1}", m) for t, m in enumerate((a1, a2, a3, a4, a5))]
    dt = a[0].dtype
    a = [m.astype(dt, copy=False) for m in a]
    _warmup.settle()
    x, y, e = (_array(n, m, dt) for n, m in (("x", x), ("y", y), ("e", e)))
    opts = options(False, None, scale, method, epsilon, threads, a[0].shape[-1] if a[0].ndim else 1)
    with call():
        r = j.LossGradient.compute(_java_list([to_java(m) for m in a]), to_java(x), to_java(y), to_java(e), opts)
    return float(r.loss()), from_java(r.dx())
