"""grad / value_and_grad / vjp / hvp: the functional API, its errors, and second order
(the entropy example of background/backprop-differentials-micrograd.md, quadratics, and
finite differences of grad on random functions)."""

import numpy as np
import pytest
from autodiff_helpers import SEEDS, random_function, rel_error
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor, backprop, grad, hvp, value_and_grad, vjp


# ----- grad, value_and_grad, vjp ------------------------------------------------------------
def test_grad_of_the_worked_example():
    f = lambda x, y: x * y + x  # noqa: E731
    assert grad(f)(2.0, 3.0) == 4.0
    assert grad(f, argnums=1)(2.0, 3.0) == 2.0
    gx, gy = grad(f, argnums=(0, 1))(2.0, 3.0)
    assert (gx, gy) == (4.0, 2.0)
    assert grad(f, argnums=-1)(2.0, 3.0) == 2.0


def test_grad_returns_arrays_shaped_like_the_arguments():
    g = grad(lambda w: (w * w).sum())(np.ones((2, 3)))
    assert isinstance(g, np.ndarray) and g.shape == (2, 3) and np.all(g == 2.0)


def test_value_and_grad():
    value, g = value_and_grad(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    assert float(value) == 9.0 and g.tolist() == [3.0, 12.0]


def test_undifferentiated_arguments_pass_through_unchanged():
    def loss(logits, labels):
        assert labels.dtype.kind == "i"          # still integers: usable as indices
        return -logits.log_softmax(axis=1)[np.arange(2), labels].mean()

    g = grad(loss)(np.zeros((2, 3)), np.array([0, 2]))
    assert np.allclose(g, [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]])


def test_grad_of_a_constant_function_is_zero():
    assert grad(lambda x: Tensor(5.0))(np.ones(3)).tolist() == [0.0, 0.0, 0.0]


def test_grad_of_a_non_scalar_function_is_a_clear_error():
    with pytest.raises(ValueError, match=r"scalar.*got shape \(3,\).*vjp"):
        grad(lambda x: x * 2)(np.ones(3))


def test_grad_of_a_function_returning_a_number_is_a_clear_error():
    with pytest.raises(TypeError, match="must return a Tensor, got float"):
        grad(lambda x: 1.0)(2.0)


@pytest.mark.parametrize("argnums", [2, (0, 0), ()])
def test_bad_argnums_are_clear_errors(argnums):
    with pytest.raises(ValueError, match="argnums"):
        grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


def test_vjp_rows_rebuild_the_jacobian():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out, vjp_fn = vjp(lambda x: a @ x.tanh(), np.array([0.1, -0.2]))
    assert out.shape == (3,)
    rows = np.stack([vjp_fn(e)[0] for e in np.eye(3)])
    assert np.allclose(rows, a * (1 - np.tanh([0.1, -0.2]) ** 2))


def test_vjp_with_several_primals_returns_one_gradient_each():
    out, vjp_fn = vjp(lambda x, y: x * y, np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    gx, gy = vjp_fn(np.array([1.0, 10.0]))
    assert gx.tolist() == [3.0, 40.0] and gy.tolist() == [1.0, 20.0]


def test_vjp_cotangent_shape_is_checked():
    _, vjp_fn = vjp(lambda x: x * 2, np.ones(3))
    with pytest.raises(ValueError, match=r"\(2,\) but the output has shape \(3,\)"):
        vjp_fn(np.ones(2))


# ----- second order ------------------------------------------------------------------------
def _entropy_of_all(p):
    """H(p) = −Σ pᵢ log pᵢ over all k probabilities."""
    return -(p * p.log()).sum()


def _entropy_of_first(x):
    """H(x₁..x_{k−1}) with p = F x + e_k, F = [I; −1ᵀ] (so p_k = 1 − Σ xᵢ), as in the note."""
    k = x.shape[0] + 1
    f_matrix = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])  # ∇F, k × (k−1)
    return _entropy_of_all(f_matrix @ x + np.eye(k)[-1])


def test_entropy_gradient_is_log_pk_over_pi():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    g = grad(_entropy_of_first)(p[:-1])
    assert np.allclose(g, np.log(p[-1] / p[:-1]), rtol=1e-13)
    assert np.allclose(grad(_entropy_of_first)(np.full(3, 0.25)), 0.0)  # the maximum, p = 1/k


def test_entropy_hessian_is_diag_minus_one_over_p():
    """∇²H(p) = diag(−1/pᵢ) — the note's Hessian — and, through p = F x,
    ∇²H(x) = Fᵀ diag(−1/p) F = −diag(1/p₁..1/p_{k−1}) − (1/p_k)·11ᵀ."""
    rng = np.random.default_rng(0)
    p, v = np.array([0.1, 0.2, 0.3, 0.4]), rng.standard_normal(4)
    assert np.allclose(hvp(_entropy_of_all, p, v), -v / p, rtol=1e-13)
    w = v[:-1]
    assert np.allclose(hvp(_entropy_of_first, p[:-1], w), -w / p[:-1] - w.sum() / p[-1],
                       rtol=1e-13)


def test_entropy_is_concave_at_the_uniform_distribution():
    rng = np.random.default_rng(1)
    x = np.full(4, 0.2)
    for v in rng.standard_normal((5, 4)):
        assert v @ hvp(_entropy_of_first, x, v) < 0


def test_hvp_of_a_quadratic_is_a_plus_a_transpose_times_v():
    rng = np.random.default_rng(2)
    a, x, v = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    assert np.allclose(hvp(lambda t: t @ a @ t, x, v), (a + a.T) @ v, rtol=1e-13)


def test_hvp_of_an_affine_function_is_zero():
    assert hvp(lambda t: (t * 3.0).sum() + 1.0, np.ones(3), np.ones(3)).tolist() == [0, 0, 0]


def test_hvp_checks_shapes_and_scalar_output():
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but x has shape \(3,\)"):
        hvp(lambda t: t.sum(), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="scalar"):
        hvp(lambda t: t * t, np.ones(3), np.ones(3))


def _scalar(f, w):
    return lambda x, f=f, w=w: (f(x, x * 0.5) * w).sum()


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(st.integers(0, 100), min_size=1, max_size=5), seed=SEEDS)
def test_hvp_matches_finite_differences_of_grad(ops, seed):
    rng = np.random.default_rng(seed)
    f = _scalar(random_function(ops, rng, n=3), rng.standard_normal((2, 3)))
    x, v, h = rng.uniform(-1, 1, (2, 3)), rng.standard_normal((2, 3)), 1e-5
    numeric = (grad(f)(x + h * v) - grad(f)(x - h * v)) / (2 * h)
    assert rel_error(hvp(f, x, v), numeric) < 1e-6


@settings(max_examples=15, deadline=None)
@given(ops=st.lists(st.integers(0, 100), min_size=1, max_size=5), seed=SEEDS)
def test_forward_over_reverse_equals_reverse_over_reverse(ops, seed):
    rng = np.random.default_rng(seed)
    f = _scalar(random_function(ops, rng, n=3), rng.standard_normal((2, 3)))
    x, v = rng.uniform(-1, 1, (2, 3)), rng.standard_normal((2, 3))
    xt = Tensor(x, requires_grad=True)
    (g,) = backprop(f(xt), [xt], create_graph=True)
    (reverse_over_reverse,) = backprop((g * v).sum(), [xt])
    assert np.allclose(hvp(f, x, v), reverse_over_reverse.data, rtol=1e-10, atol=1e-12)


def test_backprop_create_graph_gives_higher_derivatives():
    x = Tensor(0.7, requires_grad=True)
    (d1,) = backprop(x.tanh(), [x], create_graph=True)
    (d2,) = backprop(d1, [x], create_graph=True)
    (d3,) = backprop(d2, [x])
    t = np.tanh(0.7)
    assert np.isclose(d1.data, 1 - t * t)
    assert np.isclose(d2.data, -2 * t * (1 - t * t))
    assert np.isclose(d3.data, -2 * (1 - t * t) ** 2 + 4 * t * t * (1 - t * t))


def test_backprop_leaves_grad_untouched_and_checks_inputs():
    x = Tensor(2.0, requires_grad=True)
    (g,) = backprop(x * x, [x])
    assert float(g.data) == 4.0 and x.grad is None
    with pytest.raises(ValueError, match="requires grad"):
        backprop(x * x, [Tensor(1.0)])
