"""The polynomial method through Python: its certified bound holds, and it refuses what it cannot certify."""

import numpy as np
import pytest

import tensor_attention as ta
from reference import forward as ref_forward, problem


@pytest.mark.parametrize("order,mask", [(3, {}), (3, {"causal": True}), (2, {"window": (4,)}), (4, {})])
def test_poly_error_stays_within_its_bound(order, mask):
    rng = np.random.default_rng(order)
    q, keys, values = problem(rng, order, (2,), (2,), 12, 4, 3, bound=0.5)
    eps = 1e-3
    r = ta.forward(q, keys, values, method="poly", epsilon=eps, **mask)
    o, lse = ref_forward(q, keys, values, **mask)
    vinf = np.prod([np.abs(v).max(axis=-2) for v in values], axis=0).max()
    assert r.method == "poly" and r.lse.shape == lse.shape
    assert r.degree >= 1 and r.rank > 1 and r.radius > 0
    assert 0 < r.error_bound <= eps * vinf
    assert np.abs(r.output - o).max() <= r.error_bound
    # The lse comes from the certified denominator: within -log(1 - delta) of the true one.
    assert 0 < r.lse_error_bound < 1e-2
    assert np.abs(r.lse - lse).max() <= r.lse_error_bound


def test_poly_refuses_what_it_cannot_certify():
    rng = np.random.default_rng(1)
    q, keys, values = problem(rng, 3, (), (), 64, 16, 4, bound=4.0)
    with pytest.raises(ValueError, match=r"^poly (cannot certify|needs degree)"):
        ta.forward(q, keys, values, method="poly", epsilon=1e-6)
    # auto takes the exact kernel instead and says why.
    r = ta.forward(q, keys, values, method="auto", epsilon=1e-6)
    assert r.method == "exact" and r.reason.startswith("exact: poly")


def test_poly_backward_gradients_are_close():
    rng = np.random.default_rng(2)
    q, keys, values = problem(rng, 3, (), (), 10, 3, 2, bound=0.5)
    dout = rng.uniform(-1, 1, (10, 2))
    exact = ta.backward(q, keys, values, dout)
    poly = ta.backward(q, keys, values, dout, method="poly", epsilon=1e-6)
    assert poly.method == "poly" and poly.degree >= 1 and poly.error_bound is None
    # A weight error of eps relative moves each gradient by a few eps of its own scale.
    for a, b in zip([poly.dq] + poly.dk + poly.dv, [exact.dq] + exact.dk + exact.dv):
        assert np.abs(a - b).max() <= 1e-4 * (1 + np.abs(b).max())


@pytest.mark.parametrize("order,n,layout", [(2, 1024, "bhsd"), (3, 256, "bhsd"), (3, 128, "bshd"), (4, 48, "bhsd")])
def test_float32_mode_stays_within_its_bound_against_float64(order, n, layout):
    # float32 inputs on the full mask run the float32 tiles; the reference computes the same float32 values in
    # float64, so the whole difference is the method's and its rounding, which the bound must cover.
    rng = np.random.default_rng(10 + order)
    q, keys, values = problem(rng, order, (2,), (2,), n, 4, 3, np.float32, bound=0.8)
    if layout == "bshd":
        q, keys, values = q.swapaxes(0, 1), [k.swapaxes(0, 1) for k in keys], [v.swapaxes(0, 1) for v in values]
    r = ta.forward(q, keys, values, method="poly", epsilon=1e-3, layout=layout)
    assert "float32 tiles" in r.reason and r.output.dtype == np.float32
    if layout == "bshd":
        o, lse = ref_forward(q.swapaxes(0, 1), [k.swapaxes(0, 1) for k in keys], [v.swapaxes(0, 1) for v in values])
        o, lse = o.swapaxes(0, 1), lse.swapaxes(0, 1)
    else:
        o, lse = ref_forward(q, keys, values)
    assert np.abs(r.output - o).max() <= r.error_bound
    assert np.abs(r.lse - lse).max() <= r.lse_error_bound
