"""Sequential: order of forward and backward, gradient of the whole stack."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import Dense, ReLU, Sequential, Sigmoid, SoftmaxCrossEntropy, Tanh
from minidl.gradcheck import check_module

ACTIVATIONS = [ReLU, Tanh, Sigmoid]


@settings(max_examples=15, deadline=None)
@given(widths=st.lists(st.integers(1, 6), min_size=2, max_size=5), n=st.integers(1, 5),
       seed=st.integers(0, 2**16), data=st.data())
def test_random_stacks_match_finite_differences(widths, n, seed, data):
    layers = []
    for i, (d, h) in enumerate(zip(widths, widths[1:])):
        layers.append(Dense(d, h, rng=seed + i, dtype="float64"))
        layers.append(data.draw(st.sampled_from(ACTIVATIONS))())
    model = Sequential(*layers)
    x = np.random.default_rng(seed).standard_normal((n, widths[0]))
    check_module(model, x, rng=seed).raise_if_failed()


def test_backward_runs_in_reverse_and_returns_input_gradient():
    calls = []

    class Spy(ReLU):
        def __init__(self, tag):
            self.tag = tag

        def backward(self, dout):
            """dZ = dH ⊙ 1[Z > 0], recording the call order."""
            calls.append(self.tag)
            return super().backward(dout)

    model = Sequential(Spy("a"), Spy("b"), Spy("c"))
    x = np.array([[1.0, -1.0]])
    model(x)
    dx = model.backward(np.ones((1, 2)))
    assert calls == ["c", "b", "a"]
    np.testing.assert_array_equal(dx, [[1.0, 0.0]])


def test_mlp_with_cross_entropy_learns_a_tiny_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR of the signs: not linearly separable
    model = Sequential(Dense(2, 16, rng=1), Tanh(), Dense(16, 2, rng=2))
    loss_fn = SoftmaxCrossEntropy()
    first = loss_fn(model(x), y)
    for _ in range(300):
        model.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    assert loss_fn(model(x), y) < 0.3 * first


def test_indexing_slicing_and_iteration():
    model = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=0))
    assert len(model) == 3 and isinstance(model[1], ReLU)
    assert isinstance(model[:2], Sequential) and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Dense", "ReLU", "Dense"]


def test_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: argument 1 must be a Module, got function"):
        Sequential(ReLU(), lambda x: x)


def test_shape_error_inside_a_stack_names_the_layer():
    model = Sequential(Dense(4, 3, rng=0), ReLU(), Dense(2, 1, rng=0))
    with pytest.raises(ValueError,
                       match=r"Dense\(2 → 1\)\.forward: expected input of shape \(N, 2\), got \(5, 3\)"):
        model(np.zeros((5, 4)))
