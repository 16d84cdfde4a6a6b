"""The engine ops of the transformer's formulations (erf, masked_fill, batched matmul with a
broadcast batch axis) against central differences, through the shared checker."""

import numpy as np
from autodiff_helpers import TOL, Case, check_case
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor
from minidl.autodiff.ops_attention import erf, masked_fill

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@settings(max_examples=15, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_erf_derivatives_match_finite_differences(shape, seed):
    x = np.random.default_rng(seed).uniform(-3, 3, shape)
    assert max(check_case(Case(erf, [x], seed)).values()) < TOL


@settings(max_examples=15, deadline=None)
@given(shape=shapes.filter(len), seed=st.integers(0, 2**16))
def test_masked_fill_derivatives_match_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.4
    case = Case(lambda t: masked_fill(t, mask, -2.0) * t, [rng.uniform(-1, 1, shape)], seed)
    assert max(check_case(case).values()) < TOL


def test_masked_fill_with_minus_infinity_gives_zero_gradient_through_exp():
    x = Tensor(np.array([[0.5, 1.0, -1.0]]), requires_grad=True)
    out = masked_fill(x, np.array([False, True, False]), -np.inf).exp().sum()
    out.backward()
    assert x.grad.tolist() == [[np.exp(0.5), 0.0, np.exp(-1.0)]]


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 3), t=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_batched_matmul_with_broadcast_heads_matches_finite_differences(n, h, t, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, h, t, 2)), rng.standard_normal((1, h, 2, t))
    assert max(check_case(Case(lambda x, y: x @ y, [a, b], seed)).values()) < TOL
