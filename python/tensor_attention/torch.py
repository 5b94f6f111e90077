"""PyTorch: tensor attention as a torch.autograd.Function, and a multi-head layer built on it.

    from tensor_attention.torch import attention, TensorAttention
    o = attention(q, [k1, k2], [v1, v2], causal=True)        # q (..., H, n, d), keys/values (..., G, n, d)
    o.sum().backward()                                        # the library's backward

The forward keeps the Java arrays and log-sum-exp for the backward, so the backward crosses only dout in and the
gradients out. CPU tensors of float32 or float64 only."""

import math

import torch
from torch import nn

from . import _api, _warmup


def _check(name, t, like=None):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise ValueError(f"{name} is on {t.device}: tensor_attention runs on the CPU; move it with .cpu()")
    if t.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{name} has dtype {t.dtype}: expected torch.float32 or torch.float64")
    if like is not None and t.dtype != like.dtype:
        raise ValueError(f"{name} has dtype {t.dtype} but q has {like.dtype}: give all inputs one dtype")


def _numpy(t):
    return t.detach().contiguous().numpy()


class Attention(torch.autograd.Function):
    """The autograd Function: apply(config, q, k1, .., v1, ..) with config = (factors, AttentionOptions, offsets),
    offsets (cu_q, cu_k) as Java int arrays for a packed batch, else None. Returns (o, lse); lse is not
    differentiable (an empty tensor where the method gives none: poly)."""

    @staticmethod
    def forward(ctx, config, q, *keys_values):
        factors, opts, cu = config
        jq = _api.to_java(_numpy(q))
        jk = [_api.to_java(_numpy(t)) for t in keys_values[:factors]]
        jv = [_api.to_java(_numpy(t)) for t in keys_values[factors:]]
        r = _api.java_forward(jq, jk, jv, opts) if cu is None else _api.java_packed_forward(jq, jk, jv, cu, opts)
        # Java objects, not tensors: save_for_backward is for tensors; these live as long as the graph does.
        ctx.java = (jq, jk, jv, r, opts, cu)
        lse = r.logSumExp()
        lse = torch.empty(0, dtype=torch.float64) if lse is None else torch.from_numpy(_api.from_java(lse))
        ctx.mark_non_differentiable(lse)
        return torch.from_numpy(_api.from_java(r.output())), lse

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dout, _dlse):
        jq, jk, jv, r, opts, cu = ctx.java
        jdout = _api.to_java(_numpy(dout))
        if cu is None:
            g = _api.java_backward(jq, jk, jv, jdout, r, opts)
        else:
            g = _api.java_packed_backward(jq, jk, jv, jdout, cu, opts)
        grads = [_api.from_java(g.dq())] + [_api.from_java(t) for t in g.dk()] + [_api.from_java(t) for t in g.dv()]
        return (None,) + tuple(torch.from_numpy(a) for a in grads)


def attention(q, keys, values, *, causal=False, window=None, scale=None, method="exact", epsilon=1e-4,
              threads=0, band=None, layout="bhsd", cu_seqlens=None, cu_seqlens_q=None, cu_seqlens_k=None,
              return_lse=False):
    """Tensor attention of order len(keys) + 1 with autograd: q (..., H, n, d); keys [k1, ..] (..., G, n_t, d);
    values [v1, ..] (..., G, n_t, dv); H a multiple of G (layout='bshd': (..., n, H, d) and so on). Options as
    tensor_attention.forward: band, scale='sqrt', cu_seqlens (or cu_seqlens_q and cu_seqlens_k) for a packed
    batch. return_lse=True returns (o, lse): lse float64 in natural log, o's shape without its last axis, not
    differentiable (for poly within the forward's lse_error_bound)."""
    _check("q", q)
    keys, values = list(keys), list(values)
    for t, k in enumerate(keys):
        _check(f"k{t + 1}", k, q)
    for t, v in enumerate(values):
        _check(f"v{t + 1}", v, q)
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} key tensors but {len(values)} value tensors: each k<t> needs a v<t>")
    opts = _api.options(causal, _api._window_widths(window, len(keys)), scale, method, epsilon, threads,
                        q.shape[-1] if q.dim() else 1, band, layout)
    cu = _api._offsets(cu_seqlens, cu_seqlens_q, cu_seqlens_k)
    _warmup.settle()
    o, lse = Attention.apply((len(keys), opts, cu), q, *keys, *values)
    if not return_lse:
        return o
    return o, (None if lse.numel() == 0 and o.numel() != 0 else lse)


class TensorAttention(nn.Module):
    """Multi-head attention of order k with learned projections W_Q, W_K_t, W_V_t (t = 1..k-1) and W_O.

    x (batch, n, d_model) -> (batch, n, d_model); or, with cu_seqlens (cu_seqlens_q and cu_seqlens_k) given to
    forward, x (total, d_model) holding variable-length sequences packed one after another. heads query heads of
    width d_model / heads share kv_heads key/value heads (grouped-query attention; default heads). scale
    defaults to 1/sqrt(head width), as in the Java trainer ('sqrt' says the same; a number sets it); window
    (one width or one per key factor) implies causal; band keeps tuples with max j - min j < band. layout says
    how the heads reach the kernels: 'bshd' hands them the projections' own (batch, n, heads, width) order
    (no transposes), 'bhsd' transposes first. After each forward, self.lse holds the log-sum-exp (float64,
    natural log; (batch, heads, n) in bhsd, (batch, n, heads) in bshd, (heads, total) or (total, heads) when
    packed)."""

    def __init__(self, d_model, heads, order=3, causal=True, kv_heads=None, window=None, *, scale=None,
                 method="exact", epsilon=1e-4, threads=0, bias=False, dtype=None, band=None, layout="bhsd"):
        super().__init__()
        for name, x, least in (("d_model", d_model, 1), ("heads", heads, 1), ("order", order, 2)):
            _api._size(name, x, least)
        if kv_heads is not None:
            _api._size("kv_heads", kv_heads, 1)
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not a multiple of heads {heads}")
        kv_heads = heads if kv_heads is None else kv_heads
        if heads % kv_heads:
            raise ValueError(f"heads {heads} is not a multiple of kv_heads {kv_heads}")
        if layout not in ("bhsd", "bshd"):
            raise ValueError(f"layout must be 'bhsd' or 'bshd', got {layout!r}")
        self.d_model, self.heads, self.kv_heads, self.order = d_model, heads, kv_heads, order
        self.head_width = d_model // heads
        self.causal, self.window, self.band, self.layout = causal, window, band, layout
        self.scale = 1.0 / math.sqrt(self.head_width) if scale is None else scale
        # Checked now, not at the first forward: the same rules as tensor_attention.forward.
        _api.options(causal, _api._window_widths(window, order - 1), self.scale, method, epsilon, threads,
                     self.head_width, band, layout)
        self.method, self.epsilon, self.threads = method, epsilon, threads
        self.lse = None
        kv_width = kv_heads * self.head_width
        self.q = nn.Linear(d_model, d_model, bias=bias, dtype=dtype)
        self.k = nn.ModuleList(nn.Linear(d_model, kv_width, bias=bias, dtype=dtype) for _ in range(order - 1))
        self.v = nn.ModuleList(nn.Linear(d_model, kv_width, bias=bias, dtype=dtype) for _ in range(order - 1))
        self.o = nn.Linear(d_model, d_model, bias=bias, dtype=dtype)

    def _split(self, t, heads):
        """(..., n, heads * width) as the kernels' layout: (..., n, heads, width) or (..., heads, n, width)."""
        t = t.unflatten(-1, (heads, self.head_width))
        return t if self.layout == "bshd" else t.transpose(-3, -2)

    def forward(self, x, cu_seqlens=None, cu_seqlens_q=None, cu_seqlens_k=None):
        packed = cu_seqlens is not None or cu_seqlens_q is not None or cu_seqlens_k is not None
        if packed and x.dim() != 2:
            raise ValueError(f"a packed x must be (total, d_model), got shape {tuple(x.shape)}")
        if not packed and x.dim() != 3:
            raise ValueError(f"x must be (batch, n, d_model), got shape {tuple(x.shape)}")
        q = self._split(self.q(x), self.heads)
        keys = [self._split(k(x), self.kv_heads) for k in self.k]
        values = [self._split(v(x), self.kv_heads) for v in self.v]
        o, self.lse = attention(q, keys, values, causal=self.causal, window=self.window, scale=self.scale,
                                method=self.method, epsilon=self.epsilon, threads=self.threads, band=self.band,
                                layout=self.layout, cu_seqlens=cu_seqlens, cu_seqlens_q=cu_seqlens_q,
                                cu_seqlens_k=cu_seqlens_k, return_lse=True)
        if self.layout == "bhsd":
            o = o.transpose(-3, -2)
        return self.o(o.flatten(-2))

    def extra_repr(self):
        return (f"d_model={self.d_model}, heads={self.heads}, kv_heads={self.kv_heads}, order={self.order}, "
                f"causal={self.causal}, window={self.window}, band={self.band}, layout={self.layout}")
