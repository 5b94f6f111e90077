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
    """The autograd Function: apply(config, q, k1, .., v1, ..) with config = (factors, AttentionOptions)."""

    @staticmethod
    def forward(ctx, config, q, *keys_values):
        factors, opts = config
        jq = _api.to_java(_numpy(q))
        jk = [_api.to_java(_numpy(t)) for t in keys_values[:factors]]
        jv = [_api.to_java(_numpy(t)) for t in keys_values[factors:]]
        r = _api.java_forward(jq, jk, jv, opts)
        # Java objects, not tensors: save_for_backward is for tensors; these live as long as the graph does.
        ctx.java = (jq, jk, jv, r, opts)
        return torch.from_numpy(_api.from_java(r.output()))

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, dout):
        jq, jk, jv, r, opts = ctx.java
        g = _api.java_backward(jq, jk, jv, _api.to_java(_numpy(dout)), r, opts)
        grads = [_api.from_java(g.dq())] + [_api.from_java(t) for t in g.dk()] + [_api.from_java(t) for t in g.dv()]
        return (None,) + tuple(torch.from_numpy(a) for a in grads)


def attention(q, keys, values, *, causal=False, window=None, scale=None, method="exact", epsilon=1e-4,
              threads=0):
    """Tensor attention of order len(keys) + 1 with autograd: q (..., H, n, d); keys [k1, ..] (..., G, n_t, d);
    values [v1, ..] (..., G, n_t, dv); H a multiple of G. Options as tensor_attention.forward."""
    _check("q", q)
    keys, values = list(keys), list(values)
    for t, k in enumerate(keys):
        _check(f"k{t + 1}", k, q)
    for t, v in enumerate(values):
        _check(f"v{t + 1}", v, q)
    if len(keys) != len(values):
        raise ValueError(f"{len(keys)} key tensors but {len(values)} value tensors: each k<t> needs a v<t>")
    opts = _api.options(causal, _api._window_widths(window, len(keys)), scale, method, epsilon, threads,
                        q.shape[-1] if q.dim() else 1)
    _warmup.settle()
    return Attention.apply((len(keys), opts), q, *keys, *values)


class TensorAttention(nn.Module):
    """Multi-head attention of order k with learned projections W_Q, W_K_t, W_V_t (t = 1..k-1) and W_O.

    x (batch, n, d_model) -> (batch, n, d_model). heads query heads of width d_model / heads share kv_heads
    key/value heads (grouped-query attention; default heads). scale defaults to 1/sqrt(head width), as in
    the Java trainer; window (one width or one per key factor) implies causal."""

    def __init__(self, d_model, heads, order=3, causal=True, kv_heads=None, window=None, *, scale=None,
                 method="exact", epsilon=1e-4, threads=0, bias=False, dtype=None):
        super().__init__()
        if order < 2:
            raise ValueError(f"order must be at least 2, got {order}")
        if d_model % heads:
            raise ValueError(f"d_model {d_model} is not a multiple of heads {heads}")
        kv_heads = heads if kv_heads is None else kv_heads
        if kv_heads < 1 or heads % kv_heads:
            raise ValueError(f"heads {heads} is not a multiple of kv_heads {kv_heads}")
        self.d_model, self.heads, self.kv_heads, self.order = d_model, heads, kv_heads, order
        self.head_width = d_model // heads
        self.causal, self.window = causal, window
        self.scale = 1.0 / math.sqrt(self.head_width) if scale is None else scale
        self.method, self.epsilon, self.threads = method, epsilon, threads
        kv_width = kv_heads * self.head_width
        self.q = nn.Linear(d_model, d_model, bias=bias, dtype=dtype)
        self.k = nn.ModuleList(nn.Linear(d_model, kv_width, bias=bias, dtype=dtype) for _ in range(order - 1))
        self.v = nn.ModuleList(nn.Linear(d_model, kv_width, bias=bias, dtype=dtype) for _ in range(order - 1))
        self.o = nn.Linear(d_model, d_model, bias=bias, dtype=dtype)

    def _split(self, t, heads):
        b, n, _ = t.shape
        return t.view(b, n, heads, self.head_width).transpose(1, 2)

    def forward(self, x):
        if x.dim() != 3:
            raise ValueError(f"x must be (batch, n, d_model), got shape {tuple(x.shape)}")
        q = self._split(self.q(x), self.heads)
        keys = [self._split(k(x), self.kv_heads) for k in self.k]
        values = [self._split(v(x), self.kv_heads) for v in self.v]
        o = attention(q, keys, values, causal=self.causal, window=self.window, scale=self.scale,
                      method=self.method, epsilon=self.epsilon, threads=self.threads)
        b, _, n, _ = o.shape
        return self.o(o.transpose(1, 2).reshape(b, n, self.d_model))

    def extra_repr(self):
        return (f"d_model={self.d_model}, heads={self.heads}, kv_heads={self.kv_heads}, order={self.order}, "
                f"causal={self.causal}, window={self.window}")
