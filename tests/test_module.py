"""Module and Parameter: discovery, naming, modes, strict state dicts."""

import numpy as np
import pytest

from minidl import Dense, Module, Parameter, ReLU, Sequential
from minidl.optim import clip_grad_norm


class Affine(Module):
    """Two parameters and a child, to test discovery in a user-written module."""

    def __init__(self):
        self.scale = Parameter(np.ones(3))
        self.shift = Parameter(np.zeros(3))
        self.inner = Dense(3, 3, rng=0, dtype="float64")

    def forward(self, x):
        return self.inner(x * self.scale + self.shift)


def test_parameter_holds_matching_data_and_grad():
    p = Parameter(np.arange(6.0).reshape(2, 3))
    assert p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype
    assert not p.grad.any()
    p.grad += 1
    p.zero_grad()
    assert not p.grad.any()


def test_custom_module_finds_parameters_and_children_by_attribute():
    m = Affine()
    names = [name for name, _ in m.named_parameters()]
    assert names == ["scale", "shift", "inner.W", "inner.b"]
    assert m.num_parameters() == 3 + 3 + 9 + 3
    assert m.scale is m.parameters()[0].data and m.dscale is m.parameters()[0].grad


def test_sequential_names_by_position():
    model = Sequential(Dense(4, 3, rng=0), ReLU(), Dense(3, 2, rng=1))
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "2.W", "2.b"]
    nested = Sequential(model, Dense(2, 2, rng=2))
    assert [n for n, _ in nested.named_parameters()][-3:] == ["0.2.b", "1.W", "1.b"]


def test_train_and_eval_propagate_to_children():
    model = Sequential(Dense(2, 2, rng=0), Sequential(ReLU(), Dense(2, 1, rng=0)))
    assert model.training
    model.eval()
    assert not model.training and not model[1][0].training and not model[1][1].training
    model.train()
    assert all(m.training for m in (model, model[0], model[1], model[1][1]))


def test_zero_grad_resets_every_parameter():
    model = Sequential(Dense(3, 2, rng=0), ReLU(), Dense(2, 2, rng=0))
    model(np.ones((4, 3)))
    model.backward(np.ones((4, 2)))
    assert any(p.grad.any() for p in model.parameters())
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))  # in place


def test_state_dict_round_trip_copies():
    a, b = Sequential(Dense(3, 2, rng=0)), Sequential(Dense(3, 2, rng=1))
    state = a.state_dict()
    assert set(state) == {"0.W", "0.b"}
    state["0.W"][0, 0] += 1  # a copy: the model is untouched
    assert a[0].W[0, 0] != state["0.W"][0, 0]
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a[0].W, b[0].W)


def test_load_state_dict_is_strict_and_atomic():
    model = Sequential(Dense(3, 2, rng=0), Dense(2, 2, rng=0))
    before = model.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['1.b'\], unexpected keys \['1.c'\]"):
        bad = model.state_dict()
        bad["1.c"] = bad.pop("1.b")
        model.load_state_dict(bad)
    bad = {k: v + 1 for k, v in model.state_dict().items()}
    bad["1.W"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"1\.W has shape \(3, 3\), expected \(2, 2\)"):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():  # nothing was half-assigned
        np.testing.assert_array_equal(value, before[name])


def test_sequential_repr_lists_layers():
    text = repr(Sequential(Dense(784, 256, rng=0), ReLU(), Dense(256, 10, rng=0)))
    assert text == "Sequential(\n  (0): Dense(784 → 256)\n  (1): ReLU()\n  (2): Dense(256 → 10)\n)"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="Dense has no attribute 'nope'"):
        _ = Dense(2, 2, rng=0).nope


def test_gradient_attributes_stay_bound_to_the_parameter():
    layer = Dense(2, 2, rng=0, dtype="float64")
    layer.dW += 1.0  # in-place update through the attribute
    layer.db = np.array([3.0, 4.0])  # assignment copies into the gradient
    W, b = layer.parameters()
    assert "dW" not in vars(layer) and layer.dW is W.grad
    np.testing.assert_array_equal(W.grad, np.ones((2, 2)))
    np.testing.assert_array_equal(b.grad, [3.0, 4.0])


def test_clip_grad_norm_accepts_a_generator():
    params = [Parameter(np.ones(4)) for _ in range(2)]
    for p in params:
        p.grad = np.ones(4)
    total = clip_grad_norm((p for p in params), 1.0)
    assert total == pytest.approx(np.sqrt(8))
    assert np.sqrt(sum((p.grad ** 2).sum() for p in params)) == pytest.approx(1.0)


def test_assignments_replace_what_a_name_was():
    class Box(Module):
        def __init__(self):
            self.a = 1.0
            self.child = ReLU()

    box = Box()
    box.a = Parameter(np.ones(2))  # a plain attribute becomes a parameter
    np.testing.assert_array_equal(box.a, np.ones(2))
    box.a = np.full(2, 3.0)  # and is then assigned into
    np.testing.assert_array_equal(box.parameters()[0].data, 3.0)
    box.child = None  # a child removed
    assert list(box.children()) == [] and box.child is None
    box.child = Parameter(np.zeros(1))
    assert [name for name, _ in box.named_parameters()] == ["a", "child"]
