"""An independent reference in torch: einsum scores, a softmax over the flattened key tuples, autograd for
gradients (SPEC.md sections 1 and 3)."""

import numpy as np
import torch

U64 = 2.0 ** -53
U32 = 2.0 ** -24
LETTERS = "abcdefgh"


def _expand_heads(t, q):
    """Grouped-query heads: query head h reads key head h // (H / G)."""
    if t.dim() >= 3 and q.dim() >= 3 and t.shape[-3] not in (1, q.shape[-3]):
        t = t.repeat_interleave(q.shape[-3] // t.shape[-3], dim=-3)
    return t


def attention(q, keys, values, causal=False, window=None, scale=None, band=None):
    """(output, lse) of tensor attention of order len(keys) + 1, all tensors float64 torch. Causal and window
    align bottom-right: query i sits at n_t - nq + i against factor t (SPEC.md section 7)."""
    m = len(keys)
    c = 1.0 / q.shape[-1] if scale is None else scale
    keys = [_expand_heads(k, q) for k in keys]
    values = [_expand_heads(v, q) for v in values]
    js = LETTERS[:m]
    s = c * torch.einsum("...il," + ",".join(f"...{j}l" for j in js) + "->...i" + js, q, *keys)
    nq = q.shape[-2]
    allowed = torch.ones((nq,) + tuple(k.shape[-2] for k in keys), dtype=torch.bool)
    if band is not None:
        grids = torch.meshgrid(*[torch.arange(k.shape[-2]) for k in keys], indexing="ij")
        stacked = torch.stack(grids)
        allowed = allowed & ((stacked.amax(0) - stacked.amin(0)) < band)[None]
    if causal or window is not None:
        for t, k in enumerate(keys):
            i = torch.arange(nq)[:, None] + (k.shape[-2] - nq)
            j = torch.arange(k.shape[-2])[None, :]
            ok = j <= i
            if window is not None:
                ok = ok & (j > i - window[t])
            shape = [nq] + [1] * m
            shape[t + 1] = k.shape[-2]
            allowed = allowed & ok.view(shape)
    if causal or window is not None or band is not None:
        s = s.masked_fill(~allowed, float("-inf"))
    flat = s.flatten(-m)
    p = torch.softmax(flat, dim=-1).view_as(s)
    o = torch.einsum("...i" + js + "," + ",".join(f"...{j}l" for j in js) + "->...il", p, *values)
    return o, torch.logsumexp(flat, dim=-1)


def gradients(q, keys, values, dout, **mask):
    """(output, dq, dk list, dv list) by autograd through the reference."""
    leaves = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in [q, *keys, *values]]
    m = len(keys)
    o, _ = attention(leaves[0], leaves[1:1 + m], leaves[1 + m:], **mask)
    o.backward(torch.tensor(dout, dtype=torch.float64))
    grads = [t.grad.numpy() for t in leaves]
    return o.detach().numpy(), grads[0], grads[1:1 + m], grads[1 + m:]


def forward(q, keys, values, **mask):
    t = lambda a: torch.tensor(a, dtype=torch.float64)
    o, lse = attention(t(q), [t(k) for k in keys], [t(v) for v in values], **mask)
    return o.numpy(), lse.numpy()


def rounding_tolerance(terms, magnitude, unit=U64):
    """Rounding error allowed for a result summed from `terms` products of size at most `magnitude`: the
    classical bound terms * u * sum|x| (Higham, recursive summation), with a factor 8 for the d-term scores,
    the exponential and the normalisation that both sides round on their own."""
    return 8.0 * terms * unit * magnitude


def problem(rng, order, q_lead, kv_lead, n, d, dv, dtype=np.float64, bound=1.0):
    q = rng.uniform(-bound, bound, q_lead + (n, d)).astype(dtype)
    keys = [rng.uniform(-bound, bound, kv_lead + (n, d)).astype(dtype) for _ in range(order - 1)]
    values = [rng.uniform(-1, 1, kv_lead + (n, dv)).astype(dtype) for _ in range(order - 1)]
    return q, keys, values
