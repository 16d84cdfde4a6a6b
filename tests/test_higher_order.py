"""Third and higher derivatives by nesting, against closed forms (float64)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl.autodiff import Tensor, hvp
from minidl.autodiff.higher_order import (
    nth_derivative,
    third_derivative_tensor,
    third_directional,
    third_order_product,
)

POINTS = st.lists(st.floats(-2.5, 2.5), min_size=1, max_size=6).map(np.array)
POSITIVE = st.lists(st.floats(0.2, 4.0), min_size=1, max_size=6).map(np.array)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# (engine function, its third derivative in closed form)
THIRD = {
    "tanh": (lambda z: z.tanh(), lambda x: (1 - np.tanh(x) ** 2) * (6 * np.tanh(x) ** 2 - 2)),
    "exp": (lambda z: z.exp(), np.exp),
    "x⁴": (lambda z: z ** 4, lambda x: 24 * x),
    "x·x·x·x": (lambda z: z * z * z * z, lambda x: 24 * x),
    "sigmoid": (lambda z: z.sigmoid(),
                lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 6 * sigmoid(x) + 6 * sigmoid(x) ** 2)),
}


@pytest.mark.parametrize("name", sorted(THIRD))
@settings(max_examples=10, deadline=None)
@given(x=POINTS)
def test_third_derivatives_of_scalar_functions_match_closed_forms(name, x):
    f, closed = THIRD[name]
    np.testing.assert_allclose(nth_derivative(f, 3)(x), closed(x), rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(x=POSITIVE, order=st.integers(1, 5))
def test_every_order_of_log_and_exp(x, order):
    # dᵏ/dxᵏ log x = (−1)ᵏ⁺¹ (k − 1)! / xᵏ;  dᵏ/dxᵏ eˣ = eˣ
    expected = (-1) ** (order + 1) * math.factorial(order - 1) / x ** order
    np.testing.assert_allclose(nth_derivative(lambda z: z.log(), order)(x), expected, rtol=1e-11)
    np.testing.assert_allclose(nth_derivative(lambda z: z.exp(), order)(x), np.exp(x), rtol=1e-13)


def test_a_polynomial_runs_out_of_derivatives():
    x = np.array([-1.0, 0.5, 2.0])
    np.testing.assert_array_equal(nth_derivative(lambda z: z * z, 3)(x), 0.0)
    np.testing.assert_allclose(nth_derivative(lambda z: z ** 3 + z, 3)(x), 6.0)


# ----- a polynomial in several variables, differentiated symbolically for the closed form ---
def differentiate(terms, j):
    """∂/∂xⱼ of Σ c·∏ xᵢ^aᵢ, as (coefficient, exponents) terms."""
    out = []
    for c, a in terms:
        if a[j]:
            lowered = list(a)
            lowered[j] -= 1
            out.append((c * a[j], tuple(lowered)))
    return out


def evaluate(terms, x):
    return sum(c * np.prod(x ** np.array(a)) for c, a in terms)


def engine_polynomial(terms):
    def f(z):
        total = Tensor(0.0)
        for c, a in terms:
            term = Tensor(c)
            for i, power in enumerate(a):
                if power:
                    term = term * z[i] ** power
            total = total + term
        return total
    return f


def closed_third_tensor(terms, x):
    n = x.size
    return np.array([[[evaluate(differentiate(differentiate(differentiate(terms, i), j), k), x)
                       for k in range(n)] for j in range(n)] for i in range(n)])


@st.composite
def polynomials(draw):
    n = draw(st.integers(1, 4))
    exponents = st.tuples(*[st.integers(0, 4)] * n)
    terms = draw(st.lists(st.tuples(st.floats(-2, 2), exponents), min_size=1, max_size=4))
    x = np.array(draw(st.lists(st.floats(-1.5, 1.5), min_size=n, max_size=n)))
    u = np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    v = np.array(draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n)))
    return terms, x, u, v


@settings(max_examples=12, deadline=None)
@given(problem=polynomials())
def test_third_derivatives_of_a_polynomial_in_several_variables(problem):
    terms, x, u, v = problem
    f, expected = engine_polynomial(terms), closed_third_tensor(terms, x)
    scale = max(1.0, np.abs(expected).max())
    for method in ("forward", "reverse"):
        np.testing.assert_allclose(third_derivative_tensor(f, x, method), expected,
                                   rtol=1e-11, atol=1e-11 * scale)
        np.testing.assert_allclose(third_order_product(f, x, u, v, method),
                                   np.einsum("ijk,j,k->i", expected, u, v),
                                   rtol=1e-11, atol=1e-11 * scale)
        np.testing.assert_allclose(third_directional(f, x, v, method),
                                   np.einsum("ijk,i,j,k->", expected, v, v, v),
                                   rtol=1e-11, atol=1e-11 * scale)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_third_order_product_is_the_derivative_of_hvp(n, seed):
    # T[u, v, ·] = d/dε H(x + εu) v, by central differences of the (exact) hvp
    rng = np.random.default_rng(seed)
    w, x, u, v = rng.standard_normal((3, n)), rng.standard_normal(n), rng.standard_normal(n), \
        rng.standard_normal(n)

    def f(z):
        return (Tensor(w) @ z).tanh().sum() * (z * z).sum()

    h = 1e-5
    expected = (hvp(f, x + h * u, v) - hvp(f, x - h * u, v)) / (2 * h)
    for method in ("forward", "reverse"):
        np.testing.assert_allclose(third_order_product(f, x, u, v, method), expected,
                                   rtol=1e-7, atol=1e-8)


def test_shapes_dtypes_and_clear_errors():
    x = np.ones((2, 2), dtype=np.float32)
    assert third_derivative_tensor(lambda z: (z ** 3).sum(), x).shape == (2, 2) * 3
    assert nth_derivative(lambda z: z.exp(), 2)(x).dtype == np.float32
    with pytest.raises(ValueError, match="order must be an int"):
        nth_derivative(lambda z: z, 0)
    with pytest.raises(ValueError, match=r"element by element.*\(3,\)"):
        nth_derivative(lambda z: z.sum(), 3)(np.ones(3))
    with pytest.raises(ValueError, match=r"v has shape \(2,\) but x has shape \(3,\)"):
        third_order_product(lambda z: z.sum(), np.ones(3), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="method must be one of"):
        third_directional(lambda z: z.sum(), np.ones(3), np.ones(3), method="sideways")
