"""ExactDecoder against the torch reference's causal rows, orders 2 and 3, and its refusals."""

import numpy as np
import pytest

import tensor_attention as ta
from reference import U32, forward as ref_forward, problem, rounding_tolerance

D, DV = 5, 3


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("mask", [{}, {"window": 4}, {"band": 3}, {"scale": "sqrt"}])
def test_tokens_and_a_prefill_equal_the_causal_rows(order, dtype, mask):
    rng = np.random.default_rng(order * 7 + len(mask))
    n = 40 if order == 2 else 24
    q, keys, values = problem(rng, order, (), (), n, D, DV, dtype)
    window = None if "window" not in mask else (mask["window"],) * (order - 1)
    scale = 1 / np.sqrt(D) if mask.get("scale") == "sqrt" else None
    o, lse = ref_forward(q, keys, values, causal=True, window=window, band=mask.get("band"), scale=scale)
    # float64: the classical bound over the n^{k-1} tuples a row sums; float32 as the Java tests derive it, with
    # the scores' d products and the exponential rounded in float.
    terms = n ** (order - 1) + D
    tol = rounding_tolerance(terms, 1.0) if dtype == np.float64 else rounding_tolerance(terms, 1.0, U32)
    dec = ta.ExactDecoder(order, D, DV, dtype=dtype, threads=2, **mask)
    m = 9
    po, plse = dec.prefill(q[:m], [k[:m] for k in keys], [v[:m] for v in values])
    assert po.dtype == dtype and po.shape == (m, DV) and plse.shape == (m,)
    np.testing.assert_allclose(po, o[:m], rtol=0, atol=tol)
    np.testing.assert_allclose(plse, lse[:m], rtol=0, atol=tol * 4)
    for i in range(m, n):
        row, l = dec.append(q[i], [k[i] for k in keys], [v[i] for v in values])
        assert row.shape == (DV,) and row.dtype == dtype
        np.testing.assert_allclose(row, o[i], rtol=0, atol=tol, err_msg=f"token {i}")
        assert abs(l - lse[i]) <= tol * 4, (i, l, lse[i])
    assert len(dec) == n


def test_order2_tokens_equal_forward_causal_bit_for_bit():
    rng = np.random.default_rng(3)
    q, keys, values = problem(rng, 2, (), (), 70, D, DV, np.float32)
    r = ta.forward(q, keys, values, causal=True, threads=2)
    dec = ta.ExactDecoder(2, D, DV, threads=2)
    for i in range(70):
        row, l = dec.append(q[i], [keys[0][i]], [values[0][i]])
        np.testing.assert_array_equal(row, r.output[i])
        assert l == r.lse[i]


@pytest.mark.parametrize("make, message", [
    (lambda: ta.ExactDecoder(1, D, DV), "order must be an int of at least 2"),
    (lambda: ta.ExactDecoder(3, 0, DV), "d must be an int of at least 1"),
    (lambda: ta.ExactDecoder(3, D, DV, dtype=np.int32), "dtype must be float32 or float64"),
    (lambda: ta.ExactDecoder(3, D, DV, band=0), "band must be an int of at least 1"),
    (lambda: ta.ExactDecoder(3, D, DV, scale="root"), "scale must be a number or 'sqrt'"),
    (lambda: ta.ExactDecoder(3, D, DV, window=(3, 4, 5)), "window"),
])
def test_bad_settings_are_one_line_value_errors(make, message):
    with pytest.raises(ValueError, match=message) as e:
        make()
    assert "\n" not in str(e.value)


def test_bad_tokens_are_one_line_value_errors_and_leave_the_cache_alone():
    dec = ta.ExactDecoder(3, D, DV, dtype=np.float64)
    k, v = [np.zeros(D), np.zeros(D)], [np.zeros(DV), np.zeros(DV)]
    cases = [
        ((np.zeros(D + 1), k, v), "q"),
        ((np.zeros(D), k[:1], v[:1]), "2 key factors"),
        ((np.zeros(D), [np.zeros(D), np.zeros(D + 2)], v), "k2 and v2 must be"),
        ((np.array([0, np.nan, 0, 0, 0]), k, v), "q"),
        ((np.zeros(D, np.int64), k, v), "dtype int64"),
        ((np.zeros((2, D)), k, v), "prefill takes several tokens"),
    ]
    for args, message in cases:
        with pytest.raises(ValueError, match=message) as e:
            dec.append(*args)
        assert "\n" not in str(e.value)
    assert len(dec) == 0
    with pytest.raises(ValueError, match="q must be"):
        dec.prefill(np.zeros(D), [np.zeros((1, D))] * 2, [np.zeros((1, DV))] * 2)


def test_one_decoder_shared_by_threads_keeps_every_token():
    # Identical tokens: every row's output is v1 ∘ v2 and its lse is c q.k1.k2 + 2 log(p + 1), so the lse names
    # the position p a call was given. Concurrent appends must take positions 0..N-1, each once.
    import threading
    q, k, v = np.full(D, 0.5), [np.full(D, 0.25)] * 2, [np.ones(DV)] * 2
    dec = ta.ExactDecoder(3, D, DV, dtype=np.float64, threads=1)
    lses, per_thread, workers = [], 150, 4

    def feed():
        for _ in range(per_thread):
            lses.append(dec.append(q, k, v)[1])

    threads = [threading.Thread(target=feed) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    score = (1 / D) * float(np.sum(q * k[0] * k[1]))
    positions = sorted(int(round(np.exp((l - score) / 2))) - 1 for l in lses)
    assert len(dec) == workers * per_thread
    assert positions == list(range(workers * per_thread))


def test_tensors_numpy_cannot_read_are_one_line_value_errors():
    # The numpy API reads torch tensors through np.asarray; those it cannot read are named, not a RuntimeError.
    import torch
    dec = ta.ExactDecoder(2, D, DV)
    k, v = [np.zeros(D)], [np.zeros(DV)]
    for q, message in [(torch.zeros(D, requires_grad=True), "requires grad"),
                       (torch.zeros(D, dtype=torch.bfloat16), "BFloat16"),
                       (torch.zeros(D, device="meta"), "meta")]:
        with pytest.raises(ValueError, match=f"^q cannot be read as a numpy array: .*{message}") as e:
            dec.append(q, k, v)
        assert "\n" not in str(e.value)
    assert len(dec) == 0
    o, _ = dec.append(torch.ones(D, dtype=torch.float64), [torch.ones(D)], [torch.ones(DV)])
    np.testing.assert_array_equal(o, np.ones(DV, np.float32))


@pytest.mark.parametrize("dtype, big", [(np.float32, 1e30), (np.float64, 1e300)])
def test_a_token_refused_for_its_range_is_not_kept(dtype, big):
    # The range is checked with the token in the cache; after the refusal the decoder must be as before it.
    rng = np.random.default_rng(8)
    q, keys, values = problem(rng, 3, (), (), 4, D, DV, dtype)
    dec, fresh = ta.ExactDecoder(3, D, DV, dtype=dtype), ta.ExactDecoder(3, D, DV, dtype=dtype)
    for d_ in (dec, fresh):
        d_.prefill(q[:2], [k[:2] for k in keys], [v[:2] for v in values])
    with pytest.raises(ValueError, match="past|range") as e:
        dec.append(np.full(D, big), [np.full(D, big)] * 2, [np.full(DV, big)] * 2)
    assert "\n" not in str(e.value) and len(dec) == 2
    for i in (2, 3):
        a = dec.append(q[i], [k[i] for k in keys], [v[i] for v in values])
        b = fresh.append(q[i], [k[i] for k in keys], [v[i] for v in values])
        np.testing.assert_array_equal(a[0], b[0])
        assert a[1] == b[1]
