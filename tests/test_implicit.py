"""conjugate_gradient and implicit_grad against closed forms, finite differences and an unrolled solver."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor, backprop
from minidl.autodiff.implicit import conjugate_gradient, implicit_grad


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_conjugate_gradient_solves_positive_definite_systems(n, seed):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    a, b = m @ m.T + 0.5 * np.eye(n), rng.standard_normal(n)
    q, iterations = conjugate_gradient(lambda v: a @ v, b, tol=1e-13)
    np.testing.assert_allclose(q, np.linalg.solve(a, b), rtol=1e-9, atol=1e-10)
    assert iterations <= 2 * n


def test_conjugate_gradient_edges():
    q, iterations = conjugate_gradient(lambda v: 2 * v, np.zeros((2, 3)))
    assert iterations == 0 and q.shape == (2, 3) and not q.any()
    with pytest.raises(ValueError, match="not positive definite"):
        conjugate_gradient(lambda v: np.array([[1.0, 0.0], [0.0, -1.0]]) @ v, np.array([0.0, 1.0]))


def ridge(x, y, x_val, y_val):
    """g(θ, w) = ½ mean((Xw − y)²) + ½ Σⱼ e^θⱼ wⱼ² (θ one number or one per feature);
    L(w) = ½ mean((X_val w − y_val)²), in the engine and in closed form."""
    gram, xty = x.T @ x / len(x), x.T @ y / len(x)

    def inner(theta, w):
        r = Tensor(x) @ w - Tensor(y)
        return 0.5 * (r * r).mean() + 0.5 * (theta.exp() * w * w).sum()

    def outer(theta, w):
        r = Tensor(x_val) @ w - Tensor(y_val)
        return 0.5 * (r * r).mean()

    def solve(theta):
        return np.linalg.solve(gram + np.diag(np.broadcast_to(np.exp(theta), len(gram))), xty)

    def loss(theta):
        return 0.5 * np.mean((x_val @ solve(theta) - y_val) ** 2)

    return inner, outer, solve, loss, gram, xty


def problem(seed, n, d):
    rng = np.random.default_rng(seed)
    x, x_val = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    return x, x @ w + rng.standard_normal(n), x_val, x_val @ w + rng.standard_normal(n)


@settings(max_examples=12, deadline=None)
@given(n=st.integers(3, 12), d=st.integers(1, 5), log_lambda=st.floats(-2, 2),
       seed=st.integers(0, 2**16))
def test_ridge_hypergradient_matches_its_closed_form(n, d, log_lambda, seed):
    # w* = (A + λI)⁻¹ b  ⇒  dw*/dθ = −λ (A + λI)⁻¹ w*,  dL/dθ = ∇L(w*) · dw*/dθ
    x, y, x_val, y_val = problem(seed, n, d)
    inner, outer, solve, _, gram, _ = ridge(x, y, x_val, y_val)
    w_star, lam = solve(log_lambda), np.exp(log_lambda)
    dw = -lam * np.linalg.solve(gram + lam * np.eye(d), w_star)
    expected = (x_val.T @ (x_val @ w_star - y_val) / n) @ dw
    got = implicit_grad(inner, outer, log_lambda, w_star)
    assert got.shape == ()
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-12)


@settings(max_examples=8, deadline=None)
@given(d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_one_regulariser_per_feature_against_central_differences(d, seed):
    x, y, x_val, y_val = problem(seed, 10, d)
    inner, outer, solve, loss, _, _ = ridge(x, y, x_val, y_val)
    theta = np.random.default_rng(seed + 1).uniform(-1, 1, d)
    got = implicit_grad(inner, outer, theta, solve(theta))
    h, eye = 1e-6, np.eye(d)
    expected = [(loss(theta + h * eye[j]) - loss(theta - h * eye[j])) / (2 * h) for j in range(d)]
    assert got.shape == (d,)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-10)


def test_the_implicit_gradient_equals_the_unrolled_solver():
    # 400 recorded gradient-descent steps on a problem of condition number ~3 converge far
    # below the tolerance; the engine then differentiates every step back to θ
    x, y, x_val, y_val = problem(7, 30, 3)
    inner, outer, solve, _, gram, xty = ridge(x, y, x_val, y_val)
    log_lambda = 0.3
    theta = Tensor(log_lambda, requires_grad=True)
    w = Tensor(np.zeros(3), requires_grad=True)
    lr = 1.0 / (np.linalg.eigvalsh(gram)[-1] + np.exp(log_lambda))
    for _ in range(400):
        w = w - lr * (Tensor(gram) @ w - Tensor(xty) + theta.exp() * w)
    (unrolled,) = backprop(outer(theta, w), [theta])
    np.testing.assert_allclose(w.data, solve(log_lambda), rtol=1e-12)
    np.testing.assert_allclose(implicit_grad(inner, outer, log_lambda, solve(log_lambda)),
                               unrolled.data, rtol=1e-9)


def cubic_solve(c):
    """y with y + y³ = c element-wise (Newton's method; y + y³ is increasing)."""
    y = np.cbrt(c)
    for _ in range(60):
        y = y - (y + y ** 3 - c) / (1 + 3 * y ** 2)
    return y


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4), k=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_a_non_quadratic_inner_problem_against_central_differences(n, k, seed):
    # g(x, y) = ½‖y − Wx‖² + ¼ Σ y⁴  ⇒  y* solves y + y³ = Wx;  L = Σ c·tanh(y) + ‖x‖²
    rng = np.random.default_rng(seed)
    w, c, x = rng.standard_normal((k, n)), rng.standard_normal(k), rng.standard_normal(n)

    def inner(xt, yt):
        r = yt - Tensor(w) @ xt
        return 0.5 * (r * r).sum() + 0.25 * (yt ** 4).sum()

    def outer(xt, yt):
        return (Tensor(c) * yt.tanh()).sum() + (xt * xt).sum()

    def loss(v):
        return float(c @ np.tanh(cubic_solve(w @ v)) + v @ v)

    got = implicit_grad(inner, outer, x, cubic_solve(w @ x))
    h, eye = 1e-6, np.eye(n)
    expected = [(loss(x + h * eye[j]) - loss(x - h * eye[j])) / (2 * h) for j in range(n)]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_an_outer_loss_that_ignores_y_is_its_own_gradient():
    got = implicit_grad(lambda x, y: ((y - x) ** 2).sum(), lambda x, y: (x * x).sum(),
                        np.array([1.0, -2.0]), np.array([1.0, -2.0]))
    np.testing.assert_allclose(got, [2.0, -4.0])
