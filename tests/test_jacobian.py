"""jacobian (both modes and auto) and hessian against closed forms and central differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor, hessian, jacobian
from minidl.autodiff.jacobian import choose_mode


def central_jacobian(f_np, x, h=1e-6):
    """Column j: (f(x + h eⱼ) − f(x − h eⱼ)) / 2h, shaped f(x).shape + x.shape."""
    out_shape = np.shape(f_np(x))
    jac = np.empty((int(np.prod(out_shape, dtype=int)), x.size))
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = h
        step = step.reshape(x.shape)
        jac[:, j] = np.ravel((f_np(x + step) - f_np(x - step)) / (2 * h))
    return jac.reshape(out_shape + x.shape)


def make_map(w):
    """x ↦ tanh(W x) + x₀·x-ish terms: a non-linear ℝⁿ → ℝᵐ with a dense Jacobian."""
    def f(x):
        return (Tensor(w) @ x).tanh() * (x.sum() + 1.0)

    def f_np(x):
        return np.tanh(w @ x) * (x.sum() + 1.0)
    return f, f_np


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), m=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_both_modes_match_central_differences(n, m, seed):
    rng = np.random.default_rng(seed)
    w, x = rng.standard_normal((m, n)), rng.standard_normal(n)
    f, f_np = make_map(w)
    expected = central_jacobian(f_np, x)
    for mode in ("forward", "reverse", "auto"):
        jac = jacobian(f, mode=mode)(x)
        assert jac.shape == (m, n)
        np.testing.assert_allclose(jac, expected, rtol=1e-6, atol=1e-8)


def test_shapes_follow_output_then_input():
    x = np.arange(6.0).reshape(2, 3)
    for mode in ("forward", "reverse"):
        jac = jacobian(lambda t: t.transpose() * 2.0, mode=mode)(x)
        assert jac.shape == (3, 2, 2, 3)
        np.testing.assert_array_equal(jac[1, 0, 0, 1], 2.0)
        np.testing.assert_array_equal(jac[1, 0, 1, 1], 0.0)
    scalar = jacobian(lambda t: (t * t).sum())(x)
    assert scalar.shape == (2, 3)
    np.testing.assert_allclose(scalar, 2 * x)


def test_argnums_holds_the_other_arguments_fixed():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0, 7.0])
    outer = lambda u, v: (u.reshape(2, 1) * v.reshape(1, 3)).reshape(6)  # noqa: E731
    jac_b = jacobian(outer, argnums=1)(a, b)
    np.testing.assert_allclose(jac_b, np.kron(a.reshape(2, 1), np.eye(3)))
    jac_a = jacobian(outer, argnums=-2, mode="reverse")(a, b)
    np.testing.assert_allclose(jac_a, np.kron(np.eye(2), b.reshape(3, 1)))


def test_auto_picks_the_side_with_fewer_passes():
    assert choose_mode(2, 100) == "forward"
    assert choose_mode(100, 2) == "reverse"
    assert choose_mode(5, 5) == "forward"


def test_float32_stays_float32():
    jac = jacobian(lambda t: t * t)(np.ones(3, dtype=np.float32))
    assert jac.dtype == np.float32


def test_bad_mode_and_argnums_are_clear_errors():
    with pytest.raises(ValueError, match="mode must be one of"):
        jacobian(lambda t: t, mode="sideways")
    with pytest.raises(ValueError, match="out of range"):
        jacobian(lambda t: t, argnums=3)(np.ones(2))
    with pytest.raises(TypeError, match="tuple of ints"):
        hessian(lambda t: t.sum(), argnums=[0, 1])
    with pytest.raises(ValueError, match="distinct"):
        jacobian(lambda t, u: t * u, argnums=(0, 0))(1.0, 2.0)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose(n, seed):
    rng = np.random.default_rng(seed)
    a, x = rng.standard_normal((n, n)), rng.standard_normal(n)
    hess = hessian(lambda t: (t * (Tensor(a) @ t)).sum())(x)
    np.testing.assert_allclose(hess, a + a.T, rtol=1e-12, atol=1e-12)


def test_hessian_against_differences_of_the_gradient():
    x = np.array([[0.3, -1.2], [0.7, 0.1]])
    f = lambda t: ((t.exp() * t).sum() * t.tanh().sum())  # noqa: E731
    gradient = jacobian(f, mode="reverse")
    expected = central_jacobian(lambda v: gradient(v), x, h=1e-5)
    hess = hessian(f)(x)
    assert hess.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(hess, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess.reshape(4, 4), hess.reshape(4, 4).T, atol=1e-12)


def two_argument_map(w):
    """(x, y) ↦ tanh(W x) · (y·y).sum() + y[0]: ℝⁿ × ℝᵏ → ℝᵐ, with its numpy twin."""
    def f(x, y):
        return (Tensor(w) @ x).tanh() * (y * y).sum() + y[0]

    def f_np(x, y):
        return np.tanh(w @ x) * (y * y).sum() + y[0]
    return f, f_np


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_tuple_argnums_gives_one_jacobian_per_argument(n, k, m, seed):
    rng = np.random.default_rng(seed)
    w, x, y = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(k)
    f, f_np = two_argument_map(w)
    expected_x = central_jacobian(lambda v: f_np(v, y), x)
    expected_y = central_jacobian(lambda v: f_np(x, v), y)
    for mode in ("forward", "reverse", "auto"):
        jac_x, jac_y = jacobian(f, argnums=(0, 1), mode=mode)(x, y)
        assert jac_x.shape == (m, n) and jac_y.shape == (m, k)
        np.testing.assert_allclose(jac_x, expected_x, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(jac_y, expected_y, rtol=1e-6, atol=1e-8)
        (only_y,) = jacobian(f, argnums=(1,), mode=mode)(x, y)
        np.testing.assert_allclose(only_y, jac_y, rtol=1e-12, atol=1e-14)


def test_tuple_argnums_keeps_the_order_asked_for_and_skips_fixed_arguments():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0, 7.0])
    outer = lambda u, label, v: (u.reshape(2, 1) * v.reshape(1, 3)).reshape(6) * label  # noqa: E731
    jac_b, jac_a = jacobian(outer, argnums=(2, 0))(a, 2, b)
    np.testing.assert_allclose(jac_b, 2 * np.kron(a.reshape(2, 1), np.eye(3)))
    np.testing.assert_allclose(jac_a, 2 * np.kron(np.eye(2), b.reshape(3, 1)))


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_tuple_argnums_hessian_blocks_are_the_mixed_second_derivatives(n, k, seed):
    # f(x, y) = xᵀA x + (Bx)·y² + Σ y³, so, with D = diag(y):
    # ∂²f/∂x² = A + Aᵀ, ∂²f/∂x∂y = 2 Bᵀ D, ∂²f/∂y² = 2 diag(Bx) + 6 D
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, n)), rng.standard_normal((k, n))
    x, y = rng.standard_normal(n), rng.standard_normal(k)

    def f(u, v):
        return (u * (Tensor(a) @ u)).sum() + ((Tensor(b) @ u) * v * v).sum() + (v * v * v).sum()

    (hxx, hxy), (hyx, hyy) = hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx, a + a.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hxy, 2 * b.T * y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hyx, hxy.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hyy, np.diag(2 * (b @ x) + 6 * y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hessian(f, argnums=1)(x, y), hyy, rtol=1e-12, atol=1e-12)


def test_tuple_argnums_hessian_of_independent_arguments_has_zero_cross_blocks():
    x, y = np.array([[1.0, -2.0]]), np.array(3.0)
    (hxx, hxy), (hyx, hyy) = hessian(lambda u, v: (u ** 4).sum() + v.exp(), (0, 1))(x, y)
    assert hxy.shape == (1, 2) and hyx.shape == (1, 2) and hxx.shape == (1, 2, 1, 2)
    np.testing.assert_array_equal(hxy, 0.0)
    np.testing.assert_allclose(hyy, np.exp(3.0))
    np.testing.assert_allclose(hxx.reshape(2, 2), np.diag(12 * x.ravel() ** 2))
