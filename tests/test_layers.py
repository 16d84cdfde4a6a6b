"""Every layer against central differences (float64), over hypothesis-generated shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import Dense, ReLU, Sigmoid, Tanh
from minidl.gradcheck import check_module

# name → factory(D, H, seed) building a float64 layer that maps (N, D) to (N, ·).
LAYERS = {
    "Dense": lambda d, h, seed: Dense(d, h, rng=seed, dtype="float64"),
    "Dense-xavier": lambda d, h, seed: Dense(d, h, rng=seed, dtype="float64", init="xavier"),
    "ReLU": lambda d, h, seed: ReLU(),
    "Tanh": lambda d, h, seed: Tanh(),
    "Sigmoid": lambda d, h, seed: Sigmoid(),
}

dims = st.integers(min_value=1, max_value=7)


@pytest.mark.parametrize("name", sorted(LAYERS))
@settings(max_examples=15, deadline=None)
@given(n=dims, d=dims, h=dims, seed=st.integers(0, 2**16))
def test_layer_matches_finite_differences(name, n, d, h, seed):
    layer = LAYERS[name](d, h, seed)
    x = np.random.default_rng(seed).standard_normal((n, d)) * 2
    check_module(layer, x, rng=seed).raise_if_failed()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_two_backward_calls_give_twice_the_gradient(name):
    rng = np.random.default_rng(1)
    layer = LAYERS[name](4, 3, 0)
    x = rng.standard_normal((5, 4))
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dx1 = layer.backward(dout).copy()
    first = [p.grad.copy() for p in layer.parameters()]
    dx2 = layer.backward(dout)
    np.testing.assert_array_equal(dx1, dx2)  # dx is returned, not accumulated
    for p, g in zip(layer.parameters(), first):
        np.testing.assert_array_equal(p.grad, 2 * g)
    layer.zero_grad()
    assert all(not p.grad.any() for p in layer.parameters())


def test_dense_parameters_are_the_layer_arrays():
    layer = Dense(3, 2, rng=0)
    W, b = layer.parameters()
    assert W.data is layer.W and W.grad is layer.dW
    assert b.data is layer.b and b.grad is layer.db
    assert layer.W.shape == (3, 2) and layer.b.shape == (2,)
    assert W.grad.shape == W.data.shape and W.grad.dtype == W.data.dtype


def test_dense_backward_is_the_mlp_equations():
    rng = np.random.default_rng(0)
    layer = Dense(4, 3, rng=0, dtype="float64")
    x, g = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    np.testing.assert_allclose(layer(x), x @ layer.W + layer.b)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, g @ layer.W.T)
    np.testing.assert_allclose(layer.dW, x.T @ g)
    np.testing.assert_allclose(layer.db, g.sum(axis=0))


def test_assigning_a_weight_copies_into_the_shared_array():
    layer = Dense(2, 2, rng=0, dtype="float64")
    W = layer.parameters()[0].data
    layer.W = np.eye(2)
    assert layer.parameters()[0].data is W
    np.testing.assert_array_equal(W, np.eye(2))
    with pytest.raises(ValueError, match=r"cannot assign W of shape \(3, 2\), expected \(2, 2\)"):
        layer.W = np.zeros((3, 2))


@pytest.mark.parametrize("init", ["he", "he_uniform", "xavier", "xavier_uniform", "zeros"])
def test_dense_is_deterministic_per_seed(init):
    a, b = Dense(5, 4, rng=3, init=init), Dense(5, 4, rng=3, init=init)
    np.testing.assert_array_equal(a.W, b.W)
    assert not a.b.any()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_float32_stays_float32(name):
    layer = {"Dense": Dense(4, 3, rng=0), "Dense-xavier": Dense(4, 3, rng=0, init="xavier"),
             "ReLU": ReLU(), "Tanh": Tanh(), "Sigmoid": Sigmoid()}[name]
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    dx = layer.backward(np.ones_like(out))
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_dense_casts_float64_input_to_its_float32_dtype():
    layer = Dense(4, 3, rng=0)
    assert layer(np.ones((2, 4))).dtype == np.float32


@pytest.mark.parametrize("layer", [Tanh(), Sigmoid(), ReLU()])
def test_activations_are_stable_at_huge_inputs(layer):
    x = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]])
    out = layer(x)  # pyproject turns any RuntimeWarning (overflow) into an error
    assert np.isfinite(out).all()
    dx = layer.backward(np.ones_like(x))
    assert np.isfinite(dx).all()
    if not isinstance(layer, ReLU):  # saturated: the derivative vanishes at both ends
        assert abs(dx[0, 0]) < 1e-20 and abs(dx[0, -1]) < 1e-20


def test_sigmoid_saturates_exactly():
    out = Sigmoid()(np.array([[-1e4, 0.0, 1e4]]))
    np.testing.assert_array_equal(out, [[0.0, 0.5, 1.0]])


def test_relu_derivative_at_zero_is_zero():
    layer = ReLU()
    layer(np.array([[0.0, -0.0, 1.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])


# --------------------------------------------------------------- bad input
def test_dense_shape_error_names_module_and_shapes():
    with pytest.raises(ValueError, match=r"Dense\(784 → 256\)\.forward: expected input of shape "
                                         r"\(N, 784\), got \(32, 785\)"):
        Dense(784, 256, rng=0)(np.zeros((32, 785)))


def test_dense_rejects_1d_input():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\), got \(3,\)"):
        Dense(3, 2, rng=0)(np.zeros(3))


@pytest.mark.parametrize("layer", [Dense(3, 2, rng=0), ReLU(), Tanh(), Sigmoid()])
def test_backward_before_forward_names_the_module(layer):
    with pytest.raises(RuntimeError, match=rf"{type(layer).__name__}.*backward called before forward"):
        layer.backward(np.zeros((1, 2)))


def test_backward_checks_dout_shape():
    layer = Dense(3, 2, rng=0)
    layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Dense\(3 → 2\)\.backward: expected dout of shape \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match="ReLU.*real numbers"):
        ReLU()(np.array([["a"]]))


@pytest.mark.parametrize("kwargs, message", [
    ({"in_features": 0, "out_features": 2}, "in_features must be a positive integer"),
    ({"in_features": 2, "out_features": 2.5}, "out_features must be a positive integer"),
    ({"in_features": 2, "out_features": 2, "dtype": "int32"}, "dtype must be one of"),
    ({"in_features": 2, "out_features": 2, "init": "magic"}, "unknown init 'magic'"),
])
def test_dense_constructor_errors(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Dense(**kwargs)


def test_reprs_read_like_the_math():
    assert repr(Dense(784, 256, rng=0)) == "Dense(784 → 256)"
    assert repr(ReLU()) == "ReLU()"
