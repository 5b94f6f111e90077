"""band=, layout=, cu_seqlens=, scale="sqrt" and bottom-right causal against the torch reference."""

import math

import numpy as np
import pytest

import tensor_attention as ta
from reference import forward as ref_forward, gradients as ref_gradients, problem

D, DV = 4, 3
TOL = 1e-11


@pytest.mark.parametrize("order", [2, 3, 4])
@pytest.mark.parametrize("mask", [{}, {"causal": True}, {"window": 3}])
def test_band_matches_the_reference_forward_and_backward(order, mask):
    rng = np.random.default_rng(order)
    n = 12 if order < 4 else 7
    q, keys, values = problem(rng, order, (), (), n, D, DV)
    window = None if "window" not in mask else (mask["window"],) * (order - 1)
    ref = dict(causal=mask.get("causal", False) or window is not None, window=window, band=3)
    r = ta.forward(q, keys, values, band=3, **mask)
    o, lse = ref_forward(q, keys, values, **ref)
    np.testing.assert_allclose(r.output, o, atol=TOL)
    np.testing.assert_allclose(r.lse, lse, atol=TOL)
    dout = rng.uniform(-1, 1, (n, DV))
    g = ta.backward(q, keys, values, dout, band=3, **mask)
    _, dq, dk, dv = ref_gradients(q, keys, values, dout, **ref)
    np.testing.assert_allclose(g.dq, dq, atol=TOL)
    for t in range(order - 1):
        np.testing.assert_allclose(g.dk[t], dk[t], atol=TOL)
        np.testing.assert_allclose(g.dv[t], dv[t], atol=TOL)


@pytest.mark.parametrize("order", [2, 3])
def test_fewer_queries_than_keys_align_bottom_right(order):
    rng = np.random.default_rng(10 + order)
    q, keys, values = problem(rng, order, (), (), 10, D, DV)
    whole = ta.forward(q, keys, values, causal=True)
    tail = ta.forward(q[-4:], keys, values, causal=True)
    np.testing.assert_allclose(tail.output, whole.output[-4:], atol=TOL)
    np.testing.assert_allclose(tail.lse, whole.lse[-4:], atol=TOL)


def test_bshd_is_bhsd_transposed():
    rng = np.random.default_rng(3)
    q = rng.uniform(-1, 1, (2, 6, 3, D))
    keys = [rng.uniform(-1, 1, (2, 6, 3, D)) for _ in range(2)]
    values = [rng.uniform(-1, 1, (2, 6, 3, DV)) for _ in range(2)]
    sw = lambda a: np.ascontiguousarray(np.swapaxes(a, 1, 2))
    r = ta.forward(q, keys, values, causal=True, layout="bshd")
    ref = ta.forward(sw(q), [sw(k) for k in keys], [sw(v) for v in values], causal=True)
    np.testing.assert_allclose(r.output, sw(ref.output), atol=0)
    np.testing.assert_allclose(r.lse, np.swapaxes(ref.lse, 1, 2), atol=0)


@pytest.mark.parametrize("order", [2, 3])
def test_packed_batch_equals_sequences_alone(order):
    rng = np.random.default_rng(20 + order)
    cu = np.array([0, 5, 5, 12, 13], dtype=np.int32)
    q, keys, values = problem(rng, order, (), (), 13, D, DV)
    dout = rng.uniform(-1, 1, (13, DV))
    r = ta.forward(q, keys, values, causal=True, cu_seqlens=cu)
    g = ta.backward(q, keys, values, dout, causal=True, cu_seqlens=cu)
    for a, z in zip(cu[:-1], cu[1:]):
        if a == z:
            continue
        o, lse = ref_forward(q[a:z], [k[a:z] for k in keys], [v[a:z] for v in values], causal=True)
        np.testing.assert_allclose(r.output[a:z], o, atol=TOL)
        np.testing.assert_allclose(r.lse[a:z], lse, atol=TOL)
        _, dq, dk, _ = ref_gradients(q[a:z], [k[a:z] for k in keys], [v[a:z] for v in values], dout[a:z],
                                     causal=True)
        np.testing.assert_allclose(g.dq[a:z], dq, atol=TOL)
        np.testing.assert_allclose(g.dk[0][a:z], dk[0], atol=TOL)


def test_sqrt_scale():
    rng = np.random.default_rng(4)
    q, keys, values = problem(rng, 3, (), (), 6, 9, DV)
    r = ta.forward(q, keys, values, scale="sqrt")
    o, _ = ref_forward(q, keys, values, scale=1 / 3)
    np.testing.assert_allclose(r.output, o, atol=TOL)


@pytest.mark.parametrize("kwargs, message", [
    ({"band": 0}, "band must be an int of at least 1"),
    ({"layout": "bsdh"}, "layout must be 'bhsd' or 'bshd'"),
    ({"scale": "root"}, "scale must be a number or 'sqrt'"),
    ({"cu_seqlens": np.array([1, 6])}, "cu_seqlens starts at 1, not 0"),
    ({"cu_seqlens": np.array([0, 4, 3, 6])}, "cu_seqlens decreases at index 2"),
    ({"cu_seqlens": np.array([0, 5])}, "cu_seqlens ends at 5 but q has 6 rows"),
    ({"cu_seqlens": np.array([0.0, 6.0])}, "must be one dimension of int offsets"),
])
def test_bad_keywords_raise_value_error(kwargs, message):
    rng = np.random.default_rng(5)
    q, keys, values = problem(rng, 2, (), (), 6, D, DV)
    with pytest.raises(ValueError, match=message):
        ta.forward(q, keys, values, **kwargs)
