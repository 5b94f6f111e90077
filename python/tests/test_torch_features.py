"""tensor_attention.torch with band=, layout=, scale="sqrt", cu_seqlens_q/_k and the lse, against autograd
through the torch reference; the layer in both layouts and packed; bad keywords."""

import math

import numpy as np
import pytest
import torch

from reference import attention as ref_attention, rounding_tolerance
from tensor_attention.torch import TensorAttention, attention


def _leaves(shapes, seed):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(s, generator=g, dtype=torch.float64) * 2 - 1).requires_grad_() for s in shapes]


def _grads(out, leaves, seed):
    dout = torch.rand(out.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return torch.autograd.grad(out, leaves, dout)


def _close(a, b, tol):
    assert a.shape == b.shape, (a.shape, b.shape)
    torch.testing.assert_close(a, b, rtol=0, atol=tol)


@pytest.mark.parametrize("order", [2, 3, 4])
@pytest.mark.parametrize("mask", [{"band": 2}, {"band": 3, "causal": True}, {"causal": True, "scale": "sqrt"}])
def test_band_and_sqrt_scale_forward_lse_and_gradients(order, mask):
    n, d, dv = 6, 4, 3
    q, *kv = _leaves([(2, n, d)] + [(2, n, d)] * (order - 1) + [(2, n, dv)] * (order - 1), order)
    keys, values = kv[:order - 1], kv[order - 1:]
    o, lse = attention(q, keys, values, return_lse=True, **mask)
    ref_mask = dict(mask)
    if ref_mask.get("scale") == "sqrt":
        ref_mask["scale"] = 1 / math.sqrt(d)
    ref, ref_lse = ref_attention(q, keys, values, **ref_mask)
    # Each output sums n^(k-1) weighted value products; the scores d products.
    tol = rounding_tolerance(4 + 8 * n ** (order - 1), 1.0)
    _close(o, ref, tol)
    _close(lse, ref_lse.detach(), tol)
    assert not lse.requires_grad
    for a, b in zip(_grads(o, [q, *kv], 1), _grads(ref, [q, *kv], 1)):
        _close(a, b, tol)


@pytest.mark.parametrize("order", [2, 3])
def test_bshd_is_the_reference_on_transposed_heads(order):
    # (batch, seq, heads, dim) with grouped heads: 4 query heads on 2 key/value heads.
    n, d, dv = 5, 3, 2
    q, *kv = _leaves([(2, n, 4, d)] + [(2, n, 2, d)] * (order - 1) + [(2, n, 2, dv)] * (order - 1), 10 + order)
    keys, values = kv[:order - 1], kv[order - 1:]
    o, lse = attention(q, keys, values, causal=True, layout="bshd", return_lse=True)
    sw = lambda t: t.transpose(-3, -2)
    ref, ref_lse = ref_attention(sw(q), [sw(k) for k in keys], [sw(v) for v in values], causal=True)
    tol = rounding_tolerance(4 + 8 * n ** (order - 1), 1.0)
    _close(o, sw(ref), tol)
    _close(lse, ref_lse.detach().transpose(-2, -1), tol)
    for a, b in zip(_grads(o, [q, *kv], 2), _grads(sw(ref), [q, *kv], 2)):
        _close(a, b, tol)


@pytest.mark.parametrize("order", [2, 3])
def test_packed_sequences_with_their_own_query_and_key_offsets(order):
    # Three sequences: 2 queries on 4 keys, none on 3 keys, 3 queries on 3 keys (bottom-right causal in each).
    cu_q, cu_k = np.array([0, 2, 2, 5]), np.array([0, 4, 7, 10])
    d, dv = 3, 2
    q, *kv = _leaves([(5, d)] + [(10, d)] * (order - 1) + [(10, dv)] * (order - 1), 20 + order)
    keys, values = kv[:order - 1], kv[order - 1:]
    o, lse = attention(q, keys, values, causal=True, cu_seqlens_q=cu_q, cu_seqlens_k=cu_k, return_lse=True)
    parts, lses = [], []
    for b in range(3):
        qs, ks = slice(cu_q[b], cu_q[b + 1]), slice(cu_k[b], cu_k[b + 1])
        r, l = ref_attention(q[qs], [k[ks] for k in keys], [v[ks] for v in values], causal=True)
        parts.append(r)
        lses.append(l)
    ref, ref_lse = torch.cat(parts), torch.cat(lses)
    tol = rounding_tolerance(4 + 8 * 4 ** (order - 1), 1.0)
    _close(o, ref, tol)
    _close(lse, ref_lse.detach(), tol)
    for a, b in zip(_grads(o, [q, *kv], 3), _grads(ref, [q, *kv], 3)):
        _close(a, b, tol)


def _reference_layer(layer, x, **mask):
    """The layer's projections around the reference attention, heads split bhsd."""
    split = lambda t, h: t.unflatten(-1, (h, layer.head_width)).transpose(-3, -2)
    o, lse = ref_attention(split(layer.q(x), layer.heads), [split(k(x), layer.kv_heads) for k in layer.k],
                           [split(v(x), layer.kv_heads) for v in layer.v], **mask)
    return layer.o(o.transpose(-3, -2).flatten(-2)), lse


@pytest.mark.parametrize("layout", ["bhsd", "bshd"])
def test_layer_with_band_sqrt_scale_in_either_layout(layout):
    torch.manual_seed(1)
    layer = TensorAttention(8, heads=4, order=3, causal=True, kv_heads=2, band=3, scale="sqrt", layout=layout,
                            dtype=torch.float64)
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    y = layer(x)
    ref, ref_lse = _reference_layer(layer, x, causal=True, band=3, scale=1 / math.sqrt(2))
    tol = rounding_tolerance(4 + 8 * 36, float(ref.abs().max()) + 1)
    _close(y, ref, tol)
    _close(layer.lse, (ref_lse if layout == "bhsd" else ref_lse.transpose(-2, -1)).detach(), tol)
    y.square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())


def test_packed_layer_equals_each_sequence_alone():
    torch.manual_seed(2)
    layer = TensorAttention(8, heads=2, order=3, causal=True, layout="bshd", dtype=torch.float64)
    cu = np.array([0, 3, 8])
    x = torch.randn(8, 8, dtype=torch.float64)
    y = layer(x, cu_seqlens=cu)
    assert layer.lse.shape == (8, 2)
    for a, z in zip(cu[:-1], cu[1:]):
        alone = layer(x[None, a:z])[0]
        _close(y[a:z], alone, rounding_tolerance(4 + 8 * 25, float(alone.abs().max()) + 1))


@pytest.mark.parametrize("kwargs, message", [
    ({"band": 0}, "band must be an int of at least 1"),
    ({"band": 1.5}, "band must be an int of at least 1"),
    ({"layout": "bsdh"}, "layout must be 'bhsd' or 'bshd'"),
    ({"scale": "root"}, "scale must be a number or 'sqrt'"),
    ({"cu_seqlens_q": np.array([0, 6])}, "cu_seqlens_q and cu_seqlens_k go together"),
    ({"cu_seqlens": np.array([0, 6]), "cu_seqlens_k": np.array([0, 6])}, "not both"),
    ({"cu_seqlens": np.array([1, 6])}, "cu_seqlens starts at 1, not 0"),
    ({"cu_seqlens": np.array([0, 4, 3, 6])}, "cu_seqlens decreases at index 2"),
    ({"cu_seqlens": np.array([0, 5])}, "cu_seqlens ends at 5 but q has 6 rows"),
    ({"cu_seqlens": np.array([0.0, 6.0])}, "must be one dimension of int offsets"),
    ({"layout": "bshd"}, "layout bshd needs q with at least 3 dimensions"),
])
def test_bad_keywords_raise_value_error(kwargs, message):
    q, k, v = _leaves([(6, 3), (6, 3), (6, 2)], 5)
    with pytest.raises(ValueError, match=message) as info:
        attention(q, [k, k], [v, v], **kwargs)
    assert "\n" not in str(info.value)


def test_layer_refuses_bad_options_and_shapes():
    with pytest.raises(ValueError, match="layout must be 'bhsd' or 'bshd'"):
        TensorAttention(8, heads=2, layout="bhds")
    with pytest.raises(ValueError, match="band must be an int of at least 1"):
        TensorAttention(8, heads=2, band=0)
    with pytest.raises(ValueError, match="scale must be a number or 'sqrt'"):
        TensorAttention(8, heads=2, scale="root")
    layer = TensorAttention(8, heads=2)
    with pytest.raises(ValueError, match=r"a packed x must be \(total, d_model\)"):
        layer(torch.randn(1, 5, 8), cu_seqlens=np.array([0, 5]))
    with pytest.raises(ValueError, match=r"x must be \(batch, n, d_model\)"):
        layer(torch.randn(5, 8))


@pytest.mark.parametrize("layout", ["bhsd", "bshd"])
@pytest.mark.parametrize("packed", [False, True])
def test_empty_sequences_give_empty_outputs_and_gradients(layout, packed):
    # torch's convention for n = 0: empty results of the right shapes, as for a batch of 0.
    def shape(n, w):
        if packed:
            return (n, 3, w) if layout == "bshd" else (3, n, w)
        return (2, n, 3, w) if layout == "bshd" else (2, 3, n, w)

    x = [torch.zeros(shape(0, 4), dtype=torch.float64, requires_grad=True) for _ in range(3)]
    x += [torch.zeros(shape(0, 5), dtype=torch.float64, requires_grad=True) for _ in range(2)]
    cu = [0, 0, 0] if packed else None
    o, lse = attention(x[0], x[1:3], x[3:], causal=True, layout=layout, cu_seqlens=cu, return_lse=True)
    assert o.shape == shape(0, 5) and lse.shape == shape(0, 5)[:-1]
    o.sum().backward()
    assert [t.grad.shape for t in x] == [t.shape for t in x]
    # Queries that need keys which are not there: unpacked, k1 is empty; packed, the offsets pass k1's end.
    message = "^cu_seqlens ends at 2 but k1 has 0 rows$" if packed else "^k1 has no rows$"
    with pytest.raises(ValueError, match=message):
        attention(torch.zeros(shape(2, 4), dtype=torch.float64), x[1:3], x[3:], layout=layout,
                  cu_seqlens=None if cu is None else [0, 1, 2])


@pytest.mark.parametrize("kwargs, message", [
    ({"d_model": 8, "heads": 0}, "heads must be an int of at least 1, got 0"),
    ({"d_model": 8, "heads": 2.0}, "heads must be an int of at least 1, got 2.0"),
    ({"d_model": 8, "heads": 2, "order": 2.5}, "order must be an int of at least 2, got 2.5"),
    ({"d_model": 0, "heads": 2}, "d_model must be an int of at least 1, got 0"),
    ({"d_model": 8, "heads": 2, "kv_heads": 0}, "kv_heads must be an int of at least 1, got 0"),
])
def test_layer_sizes_that_are_not_positive_ints_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        TensorAttention(**kwargs)


def test_a_zero_dimensional_q_is_named_by_its_own_shape():
    one = torch.tensor(1.0, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"^q must have at least 2 dimensions \(\.\.\., n, width\), got shape \(\)$"):
        attention(one, [one, one], [one, one])
