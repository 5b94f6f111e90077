"""The numpy API against the torch reference, float64: orders 2 to 4, masks, batches and grouped-query heads."""

import numpy as np
import pytest
import torch

import tensor_attention as ta
from reference import U32, forward as ref_forward, gradients as ref_gradients, problem, rounding_tolerance

N, D, DV = 8, 5, 3
MASKS = {
    "full": {},
    "causal": {"causal": True},
    "window": {"window": (3, 2, 4)},
}
# (q's leading shape, the keys' and values' leading shape): one problem, a batch, batch x heads with
# grouped-query heads (4 query heads on 2 key heads), and a key batch of 1 broadcasting.
LAYOUTS = {
    "single": ((), ()),
    "batch": ((3,), (3,)),
    "gqa": ((2, 4), (2, 2)),
    "broadcast": ((2, 2), (1, 2)),
}


def _mask(name, order):
    mask = dict(MASKS[name])
    if "window" in mask:
        mask["window"] = mask["window"][:order - 1]
    return mask


def _tuples(order):
    return N ** (order - 1)


def every_case(test):
    """Orders 2 to 4, every mask, every layout."""
    for name, values in (("layout", LAYOUTS), ("mask", MASKS), ("order", [2, 3, 4])):
        test = pytest.mark.parametrize(name, values)(test)
    return test


def _case(order, mask, layout, seed):
    rng = np.random.default_rng(seed)
    return rng, problem(rng, order, *LAYOUTS[layout], N, D, DV), _mask(mask, order)


@every_case
def test_forward_matches_reference(order, mask, layout):
    _, (q, keys, values), m = _case(order, mask, layout, order * 100 + len(layout))
    r = ta.forward(q, keys, values, **m)
    o, lse = ref_forward(q, keys, values, **m)
    assert r.method == "exact"
    assert r.output.dtype == np.float64 and r.output.shape == o.shape
    assert r.lse.dtype == np.float64 and r.lse.shape == lse.shape
    tol = rounding_tolerance(D + _tuples(order), 1.0)
    np.testing.assert_allclose(r.output, o, rtol=0, atol=tol)
    np.testing.assert_allclose(r.lse, lse, rtol=0, atol=tol * (1 + np.abs(lse).max()))
    assert r.seconds >= 0 and r.flops > 0
    assert r.degree is None and r.rank is None and r.radius is None and r.error_bound is None


@every_case
def test_backward_matches_autograd(order, mask, layout):
    rng, (q, keys, values), m = _case(order, mask, layout, order * 10 + len(mask))
    dout = rng.uniform(-1, 1, q.shape[:-1] + (DV,))
    o, dq, dk, dv = ref_gradients(q, keys, values, dout, **m)
    g = ta.backward(q, keys, values, dout, **m)
    assert g.method == "exact" and len(g.dk) == order - 1 and len(g.dv) == order - 1
    # A key gradient sums over every query (and every grouped or broadcast head) and every tuple through it.
    heads = int(np.prod(q.shape[:-2])) if q.ndim > 2 else 1
    tol = rounding_tolerance(D + heads * N * _tuples(order), 1.0)
    np.testing.assert_allclose(g.output, o, rtol=0, atol=tol)
    np.testing.assert_allclose(g.dq, dq, rtol=0, atol=tol)
    for mine, theirs in zip(g.dk + g.dv, dk + dv):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=tol)


def test_float32_keeps_its_dtype_and_float32_accuracy():
    rng = np.random.default_rng(7)
    q, keys, values = problem(rng, 3, (2,), (2,), 16, 8, 4, dtype=np.float32)
    r = ta.forward(q, keys, values, causal=True)
    o, lse = ref_forward(q, keys, values, causal=True)
    assert r.output.dtype == np.float32 and r.lse.dtype == np.float64
    np.testing.assert_allclose(r.output, o, rtol=0, atol=rounding_tolerance(8 + 16 ** 2, 1.0, U32))


def test_keys_in_another_dtype_compute_in_qs():
    rng = np.random.default_rng(8)
    q, keys, values = problem(rng, 3, (), (), N, D, DV)
    r64 = ta.forward(q, keys, values)
    r = ta.forward(q, [k.astype(np.float32) for k in keys], values)
    assert r.output.dtype == np.float64
    np.testing.assert_allclose(r.output, ref_forward(q, [k.astype(np.float32) for k in keys], values)[0],
                               rtol=0, atol=rounding_tolerance(D + N * N, 1.0))
    assert not np.array_equal(r.output, r64.output)  # the float32 keys were really used, rounded


def test_scale_number_and_sqrt():
    rng = np.random.default_rng(9)
    q, keys, values = problem(rng, 3, (), (), N, D, DV)
    tol = rounding_tolerance(D + N * N, 2.0)
    for scale, c in ((0.7, 0.7), ("sqrt", 1 / np.sqrt(D))):
        np.testing.assert_allclose(ta.forward(q, keys, values, scale=scale).output,
                                   ref_forward(q, keys, values, scale=c)[0], rtol=0, atol=tol)


def test_an_int_window_is_one_width_per_key_factor():
    rng = np.random.default_rng(10)
    q, keys, values = problem(rng, 3, (), (), N, D, DV)
    np.testing.assert_array_equal(ta.forward(q, keys, values, window=3).output,
                                  ta.forward(q, keys, values, window=(3, 3)).output)


def test_loss_gradient_matches_autograd_through_the_kronecker_form():
    rng = np.random.default_rng(11)
    n, d, dv = 5, 3, 2
    a = [rng.uniform(-1, 1, (n, d)) for _ in range(5)]
    x = rng.uniform(-1, 1, (d, d * d))
    y = rng.uniform(-1, 1, (d * d, dv))
    e = rng.uniform(-1, 1, (n, dv))
    loss, dx = ta.loss_gradient(*a, x, y, e)
    t = [torch.tensor(m) for m in a]
    xt = torch.tensor(x, requires_grad=True)
    scores = (1.0 / d) * t[0] @ xt @ torch.kron(t[1], t[2]).T
    out = torch.softmax(scores, dim=-1) @ torch.kron(t[3], t[4]) @ torch.tensor(y)
    ref = 0.5 * ((out - torch.tensor(e)) ** 2).sum()
    ref.backward()
    tol = rounding_tolerance(n * n * d * d, 1.0 + abs(ref.item()))
    assert abs(loss - ref.item()) <= tol
    assert dx.shape == (d, d * d)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=tol)
