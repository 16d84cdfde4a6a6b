"""Initialisers: the variances they promise, determinism, explicit rng."""

import numpy as np
import pytest

from minidl.nn import init


@pytest.mark.parametrize("name, variance", [
    ("he_normal", lambda i, o: 2 / i),
    ("he_uniform", lambda i, o: 2 / i),
    ("xavier_normal", lambda i, o: 2 / (i + o)),
    ("xavier_uniform", lambda i, o: 2 / (i + o)),
])
def test_variance_matches_the_formula(name, variance):
    w = init.INITIALIZERS[name]((400, 300), rng=0, dtype="float64")
    assert w.var() == pytest.approx(variance(400, 300), rel=0.02)
    assert abs(w.mean()) < 0.01


def test_uniform_bounds():
    w = init.he_uniform((50, 20), rng=1)
    assert np.abs(w).max() <= np.sqrt(6 / 50)


def test_same_seed_same_weights_and_dtype():
    a = init.xavier_normal((3, 4), rng=5, dtype="float32")
    b = init.xavier_normal((3, 4), rng=np.random.default_rng(5), dtype="float32")
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    assert not init.zeros((2, 2)).any()


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown init 'orthogonal'; choose one of he, he_normal"):
        init.get_initializer("orthogonal")


def test_bad_rng_type():
    with pytest.raises(TypeError, match="rng must be None, an int seed or a numpy Generator, got str"):
        init.he_normal((2, 2), rng="seed")
