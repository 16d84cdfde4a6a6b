"""GELU in both forms and the float64 erf behind its exact form."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import GELU
from minidl._special import erf
from minidl.gradcheck import check_module, cross_check
from minidl.nn.losses import MSELoss


def test_erf_is_within_a_few_ulps_of_math_erf_over_a_dense_grid():
    xs = np.concatenate([np.linspace(-8, 8, 40001), np.linspace(-1e-6, 1e-6, 201),
                         [2.5, -2.5, 6.0, -6.0, np.nextafter(2.5, 0), np.nextafter(6.0, 0)]])
    reference = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(erf(xs) - reference)) < 2e-15          # ≤ ~9 ulps of 1
    tiny = np.abs(xs) < 1e-3
    relative = np.abs(erf(xs[tiny]) - reference[tiny]) / np.abs(reference[tiny]).clip(1e-300)
    assert relative.max() < 1e-15                               # relative near 0 too


def test_erf_in_float32_is_within_float32_rounding():
    xs = np.linspace(-7, 7, 20001, dtype=np.float32)
    reference = np.array([math.erf(float(v)) for v in xs])
    assert np.max(np.abs(erf(xs) - reference)) < 8 * np.finfo(np.float32).eps


def test_erf_keeps_float32_and_maps_integers_to_float64():
    assert erf(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert erf(np.array([0, 1])).dtype == np.float64
    assert erf(np.array([0.0, -0.0])).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("form", ["none", "tanh"])
def test_gelu_matches_torch_in_value_and_gradient(form):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    x = np.random.default_rng(0).standard_normal((4, 7)) * 3
    layer = GELU(form, dtype="float64")
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.gelu(xt, approximate=form)
    dout = np.random.default_rng(1).standard_normal(x.shape)
    yt.backward(torch.tensor(dout))
    np.testing.assert_allclose(layer(x), yt.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("form", ["none", "tanh"])
@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_gelu_matches_finite_differences_and_the_engine(form, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    check_module(GELU(form, dtype="float64"), x, rng=seed).raise_if_failed()
    cross_check(GELU(form, dtype="float64"), x, rng.standard_normal(shape), MSELoss()).raise_if_failed()


@pytest.mark.parametrize("form", ["none", "tanh"])
def test_gelu_float32_in_gives_float32_out(form):
    layer = GELU(form)
    out = layer(np.ones((2, 3), dtype=np.float32))
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32


def test_gelu_refuses_an_unknown_form():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        GELU("sigmoid")
