"""Bad input raises ValueError with the library's one-line message and no Java exception chained."""

import numpy as np
import pytest

import tensor_attention as ta

rng = np.random.default_rng(0)
Q = rng.uniform(-1, 1, (4, 3))
K = rng.uniform(-1, 1, (4, 3))
V = rng.uniform(-1, 1, (4, 2))


def _raises(pattern, **call):
    with pytest.raises(ValueError, match=pattern) as info:
        ta.forward(**{"q": Q, "keys": [K, K], "values": [V, V], **call})
    e = info.value
    assert "\n" not in str(e) and e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)
    return e


def test_non_finite_values():
    bad = K.copy()
    bad[1, 2] = np.nan
    _raises(r"^k2 contains a non-finite value \(NaN at flat index 5\)$", keys=[K, bad])


def test_keys_and_values_that_do_not_pair_up():
    _raises(r"^2 key arrays but 1 value arrays: each k<t> needs a v<t>$", values=[V])
    _raises(r"^no keys: order k >= 2 needs k1 and v1$", keys=[], values=[])


def test_shapes_that_disagree():
    _raises(r"^k1 has width 2 but q has width 3", keys=[K[:, :2], K])
    _raises(r"^v1 has 3 rows but k1 has 4$", values=[V[:3], V])
    _raises(r"^q must have at least 2 dimensions", q=Q[0])
    _raises(r"does not broadcast against q's", q=np.stack([Q] * 3), keys=[np.stack([K] * 2)] * 2,
            values=[np.stack([V] * 2)] * 2)


def test_options():
    _raises(r"^epsilon must lie in \(0, 1\), got 2.0$", epsilon=2.0)
    _raises(r"^unknown method 'fast' \(expected exact, poly or auto\)$", method="fast")
    _raises(r"^the window has 1 widths but order 3 has 2 key factors$", window=[2])
    _raises(r"^window widths must be at least 1, got 0$", window=[0, 1])
    _raises(r"^threads must be >= 0, got -1$", threads=-1)
    _raises(r"^scale must be a number or 'sqrt'", scale="log")


def test_dtypes():
    _raises(r"^q has dtype int64: expected float32 or float64$", q=Q.astype(np.int64))
    _raises(r"^v2 has dtype float16: expected float32 or float64$", values=[V, V.astype(np.float16)])


def test_backward_dout_shape():
    with pytest.raises(ValueError, match=r"^dout has shape \(4, 3\) but the output has shape \(4, 2\)$"):
        ta.backward(Q, [K, K], [V, V], np.ones((4, 3)))


def test_loss_gradient_shapes():
    a = rng.uniform(-1, 1, (3, 2))
    with pytest.raises(ValueError, match=r"^loss-gradient|^x |^a"):
        ta.loss_gradient(a, a, a, a, a, np.ones((2, 3)), np.ones((4, 1)), np.ones((3, 1)))


def test_integer_options_that_are_not_java_ints():
    # A width of 2.5 is no width; 2^40 does not fit the Java int the library takes.
    _raises(r"^window widths must be ints, got 2.5$", window=2.5)
    _raises(r"^window widths must be ints, got '3'$", window=["3", 3])
    _raises(r"^threads must be an int, got 'a'$", threads="a")
    _raises(r"^window width 1099511627776 is too large", window=[2 ** 40, 1])
    _raises(r"^band 1099511627776 is too large", band=2 ** 40)
    _raises(r"^cu_seqlens offset 1099511627776 is too large", cu_seqlens=[0, 2 ** 40])
    _raises(r"^cu_seqlens must hold batch \+ 1 offsets from 0, got none$", cu_seqlens=[])
    for make, pattern in [(lambda: ta.ExactDecoder(3, 2 ** 31, 2), r"^d 2147483648 is too large"),
                          (lambda: ta.ExactDecoder(3, 4, 2, window=1.5), r"^window widths must be ints")]:
        with pytest.raises(ValueError, match=pattern) as info:
            make()
        assert "\n" not in str(info.value)


def test_a_value_past_float32_is_named_not_called_non_finite():
    # q float32 makes the call float32: a finite float64 value of 1e300 cannot be cast, and saying "non-finite"
    # would blame the user's finite data. No numpy overflow warning either.
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _raises(r"^v1 has a value \(1e\+300\) beyond the range of float32, the dtype it is cast to$",
                q=Q.astype(np.float32), values=[np.full((4, 2), 1e300), V])


def test_options_that_are_not_numbers():
    _raises(r"^epsilon must be a number, got None$", epsilon=None)
    _raises(r"^epsilon must be a number, got 'a'$", epsilon="a")
    _raises(r"^scale must be a number or 'sqrt', got \[1\]$", scale=[1])
    _raises(r"^scale must be a number or 'sqrt', got 1j$", scale=1j)
