"""tensor_attention.torch: the autograd Function against the reference, gradcheck, and the layer."""

import numpy as np
import pytest
import torch

from reference import attention as ref_attention, rounding_tolerance
from tensor_attention.torch import TensorAttention, attention


def _inputs(order, q_lead, kv_lead, n=6, d=4, dv=3, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    make = lambda shape: (torch.rand(shape, generator=g, dtype=dtype) * 2 - 1).requires_grad_()
    q = make(q_lead + (n, d))
    keys = [make(kv_lead + (n, d)) for _ in range(order - 1)]
    values = [make(kv_lead + (n, dv)) for _ in range(order - 1)]
    return q, keys, values


@pytest.mark.parametrize("order,mask", [(2, {}), (3, {"causal": True}), (4, {"window": (2, 3, 2)}),
                                        (3, {"window": 2})])
def test_gradcheck(order, mask):
    q, keys, values = _inputs(order, (2,), (1,), n=5, d=3, dv=2, seed=order)
    m = order - 1

    def f(q, *kv):
        return attention(q, list(kv[:m]), list(kv[m:]), **mask)

    assert torch.autograd.gradcheck(f, (q, *keys, *values))


@pytest.mark.parametrize("order", [2, 3, 4])
def test_forward_and_backward_match_autograd_through_the_reference(order):
    q, keys, values = _inputs(order, (2, 4), (2, 2), seed=10 + order)
    mask = {"causal": True}
    out = attention(q, keys, values, **mask)
    g = torch.Generator().manual_seed(order)
    dout = torch.rand(out.shape, generator=g, dtype=torch.float64)
    mine = torch.autograd.grad(out, [q, *keys, *values], dout)
    ref, _ = ref_attention(q, keys, values, **mask)
    theirs = torch.autograd.grad(ref, [q, *keys, *values], dout)
    tol = rounding_tolerance(4 + 8 * 6 ** order, 1.0)
    torch.testing.assert_close(out, ref, rtol=0, atol=tol)
    for a, b in zip(mine, theirs):
        assert a.shape == b.shape and a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=0, atol=tol)


def test_any_leading_dims_and_float32():
    q, keys, values = _inputs(3, (2, 3, 2), (2, 3, 1), dtype=torch.float32, seed=3)
    out = attention(q, keys, values)
    assert out.dtype == torch.float32 and out.shape == (2, 3, 2, 6, 3)
    out.sum().backward()
    assert q.grad.dtype == torch.float32 and keys[0].grad.shape == keys[0].shape
    ref, _ = ref_attention(*(t.detach().double() for t in [q]), [k.detach().double() for k in keys],
                           [v.detach().double() for v in values])
    torch.testing.assert_close(out.double(), ref, rtol=0, atol=rounding_tolerance(4 + 36, 1.0, 2.0 ** -24))


def test_refuses_cuda_like_devices_integers_and_mixed_dtypes():
    q, keys, values = _inputs(3, (), ())
    meta = q.detach().to("meta")  # any device but the CPU takes the same path as a CUDA tensor
    with pytest.raises(ValueError, match="is on meta: tensor_attention runs on the CPU"):
        attention(meta, keys, values)
    with pytest.raises(ValueError, match="k1 has dtype torch.int64: expected torch.float32 or torch.float64"):
        attention(q, [torch.ones(6, 4, dtype=torch.int64), keys[1]], values)
    with pytest.raises(ValueError, match="v2 has dtype torch.float32 but q has torch.float64"):
        attention(q, keys, [values[0], values[1].float()])


def test_refuses_mismatched_shapes_with_the_librarys_message():
    q, keys, values = _inputs(3, (), ())
    with pytest.raises(ValueError, match=r"^v2 has 5 rows but k2 has 6$"):
        attention(q, keys, [values[0], values[1][:5]])


def test_layer_trains_and_shares_kv_heads():
    torch.manual_seed(0)
    layer = TensorAttention(16, heads=4, order=3, causal=True, kv_heads=2, dtype=torch.float64)
    assert layer.k[0].out_features == 8 and layer.q.out_features == 16 and len(layer.v) == 2
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    y = layer(x)
    assert y.shape == x.shape
    # The layer is the reference attention between its projections.
    split = lambda t, h: t.view(3, 7, h, 4).transpose(1, 2)
    ref, _ = ref_attention(split(layer.q(x), 4), [split(k(x), 2) for k in layer.k],
                           [split(v(x), 2) for v in layer.v], causal=True, scale=0.5)
    ref = layer.o(ref.transpose(1, 2).reshape(3, 7, 16))
    torch.testing.assert_close(y, ref, rtol=0, atol=rounding_tolerance(4 + 49, float(ref.abs().max()) + 1))
    y.square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in layer.parameters())
    # Causal: the first position sees only itself, so changing later tokens leaves its output unchanged.
    x2 = x.clone()
    x2[:, 1:] += 1
    torch.testing.assert_close(layer(x2)[:, 0], y[:, 0], rtol=0, atol=0)
