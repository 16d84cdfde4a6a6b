"""Reverse-over-reverse hvp, the finite-difference Hv and the Gauss–Newton product."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import (
    Tensor,
    gauss_newton_product,
    grad,
    hessian,
    hvp,
    hvp_finite,
    hvp_reverse,
    jacobian,
)


def f(t):
    return (t.exp() * t.tanh()).sum() + (t * t).sum() * t.sigmoid().sum()


@settings(max_examples=10, deadline=None)
@given(shape=st.sampled_from([(1,), (4,), (2, 3)]), seed=st.integers(0, 2**16))
def test_reverse_over_reverse_equals_forward_over_reverse_and_the_hessian(shape, seed):
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape)
    by_reverse = hvp_reverse(f, x, v)
    np.testing.assert_allclose(by_reverse, hvp(f, x, v), rtol=1e-10, atol=1e-12)
    n = x.size
    np.testing.assert_allclose(by_reverse.ravel(), hessian(f)(x).reshape(n, n) @ v.ravel(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hvp_finite(grad(f), x, v), by_reverse, rtol=1e-5, atol=1e-6)


def test_affine_function_has_zero_hessian_product():
    w = np.array([1.0, -2.0, 3.0])
    np.testing.assert_array_equal(hvp_reverse(lambda t: (t * Tensor(w)).sum(), w, w), 0.0)


def test_finite_hv_error_is_v_shaped_in_eps():
    x, v = np.array([0.3, -0.4]), np.array([1.0, 0.5])
    exact = hvp(f, x, v)
    err = {eps: np.abs(hvp_finite(grad(f), x, v, eps) - exact).max()
           for eps in (1e-2, 1e-8, 1e-14)}
    assert err[1e-8] < err[1e-2] / 100 and err[1e-8] < err[1e-14] / 100


@settings(max_examples=10, deadline=None)
@given(m=st.integers(1, 5), n=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_gauss_newton_product_is_j_transpose_j_v(m, n, seed):
    rng = np.random.default_rng(seed)
    a, x, v = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(n)

    def residuals(t):
        return (Tensor(a) @ t).tanh()
    jac = jacobian(residuals)(x)
    np.testing.assert_allclose(gauss_newton_product(residuals, x, v), jac.T @ (jac @ v),
                               rtol=1e-10, atol=1e-12)
    # for affine residuals Gauss–Newton is the exact Hessian of ½‖r‖²
    def affine(t):
        return Tensor(a) @ t - 1.0
    half_sq = lambda t: 0.5 * (affine(t) * affine(t)).sum()  # noqa: E731
    np.testing.assert_allclose(gauss_newton_product(affine, x, v), hvp(half_sq, x, v),
                               rtol=1e-10, atol=1e-12)
