"""Lazily zeroed gradients and parameters side by side in memory: two speed-ups of the
training step that must change no number and no behaviour anyone can observe."""

import copy

import numpy as np
import pytest

from minidl import SGD, Adam, BatchNorm1d, Dense, Parameter, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.models import mlp
from minidl.param_blocks import blocks_of

OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "nesterov+decay": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: Adam(ps, lr=1e-3, weight_decay=1e-4),
}


def build(flat: bool, dtype="float32"):
    model = Sequential(Dense(12, 8, rng=0, dtype=dtype), BatchNorm1d(8, dtype=dtype), ReLU(),
                       Dense(8, 5, rng=1, dtype=dtype))
    return model.flatten_parameters() if flat else model


def train(model, make_opt, steps=7, lazy=True):
    rng = np.random.default_rng(0)
    opt, loss_fn = make_opt(model.parameters()), SoftmaxCrossEntropy()
    for _ in range(steps):
        x, y = rng.standard_normal((16, 12)), rng.integers(0, 5, 16)
        loss_fn(model(x), y)
        opt.zero_grad(lazy=lazy)
        model.backward_params(loss_fn.backward())
        opt.step()
    return opt


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_flat_and_separate_parameters_train_to_identical_numbers(name):
    separate, flat = build(False), build(True)
    opt_separate, opt_flat = train(separate, OPTIMIZERS[name]), train(flat, OPTIMIZERS[name])
    assert len(opt_flat._blocks) == 1 and len(opt_separate._blocks) == 6
    for a, b in zip(separate.parameters(), flat.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        np.testing.assert_array_equal(a.grad, b.grad)
    for key, arrays in opt_separate.state_dict()["state"].items():
        for a, b in zip(arrays, opt_flat.state_dict()["state"][key]):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)


def test_lazy_and_eager_zero_grad_train_to_identical_numbers():
    eager, lazy = build(True), build(True)
    train(eager, OPTIMIZERS["momentum"], lazy=False)
    train(lazy, OPTIMIZERS["momentum"], lazy=True)
    for a, b in zip(eager.parameters(), lazy.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_flatten_keeps_values_and_makes_views_of_one_buffer():
    model = build(False)
    before = [p.data.copy() for p in model.parameters()]
    layer = model[0]
    layer.W[...] += 0  # nothing held across the call: layer.W is looked up each time
    model.flatten_parameters()
    params = model.parameters()
    base = params[0].data.base
    assert base.ndim == 1 and base.size == model.num_parameters()
    assert all(p.data.base is base for p in params)
    assert all(p.grad.base is params[0].grad.base for p in params)
    for p, value in zip(params, before):
        np.testing.assert_array_equal(p.data, value)
        assert p.data.flags.c_contiguous and p.grad.shape == p.data.shape
    assert layer.W is params[0].data and layer.dW is params[0].grad


def test_flatten_groups_by_dtype_and_moves_a_shared_parameter_once():
    shared = Dense(3, 3, rng=0, dtype="float64")
    model = Sequential(shared, ReLU(), shared, Dense(3, 2, rng=1, dtype="float32"))
    assert len(model.parameters()) == 4  # the shared W and b are listed once
    model.flatten_parameters()
    assert {p.data.base.size for p in model.parameters()} == {12, 8}
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert [len(b.params) for b in opt._blocks] == [2, 2]


def test_a_parameter_listed_twice_is_updated_once_with_one_state():
    p = Parameter(np.zeros(2))
    opt = SGD([p, p], lr=1.0, momentum=0.9)
    for _ in range(3):
        p.grad = np.ones(2)
        opt.step()  # v: 1, 1.9, 2.71 — PyTorch's tied-weight result
    np.testing.assert_allclose(p.data, -(1 + 1.9 + 2.71))
    assert len(opt.state_dict()["state"]["momentum"]) == 1


def test_parameters_added_to_the_list_later_are_updated_and_keep_others_state():
    first, second = Parameter(np.zeros(2)), Parameter(np.zeros(2))
    opt = SGD([first], lr=1.0, momentum=0.5)
    first.grad = np.ones(2)
    opt.step()  # first: v = 1
    opt.params.insert(0, second)
    first.grad, second.grad = np.ones(2), np.ones(2)
    opt.step()  # first: v = 1.5; second: v = 1
    np.testing.assert_allclose(first.data, -2.5)
    np.testing.assert_allclose(second.data, -1.0)


def test_mlp_comes_flattened_and_one_block_serves_the_optimizer():
    model = mlp([20, 16, 8, 3], rng=0, batchnorm=True)
    opt = Adam(model.parameters())
    assert len(opt._blocks) == 1 and opt._blocks[0].data.size == model.num_parameters()


def test_separate_parameters_each_get_a_block():
    params = [Parameter(np.zeros((2, 3))), Parameter(np.zeros(3))]
    assert [len(b.params) for b in blocks_of(params)] == [1, 1]


def test_lazy_zero_reads_as_zero_and_a_backward_writes_straight_in():
    layer = Dense(4, 3, rng=0, dtype="float64")
    x = np.ones((2, 4))
    layer(x)
    layer.backward(np.ones((2, 3)))
    W = layer._params["W"]
    W.zero_grad(lazy=True)
    assert not layer.dW.any()  # reading settles the pending zeros
    W.zero_grad(lazy=True)
    grad_array = W._grad
    layer(x)
    layer.backward(np.ones((2, 3)))
    layer.backward(np.ones((2, 3)))  # the second call adds to the first
    np.testing.assert_array_equal(layer.dW, np.full((4, 3), 4.0))
    assert layer.dW is grad_array  # written in place, never rebound


def test_lazy_zero_is_settled_for_a_parameter_no_backward_touched():
    used, unused = Parameter(np.ones(3, dtype=np.float32)), Parameter(np.ones(3, dtype=np.float32))
    used.grad[...] = 1
    unused.grad[...] = 5  # stale: must not leak into the step
    opt = SGD([used, unused], lr=0.1)
    opt.zero_grad(lazy=True)
    used.grad[...] = 2  # what a layer would have written
    opt.step()
    np.testing.assert_allclose(used.data, 0.8)
    np.testing.assert_array_equal(unused.data, 1.0)


def test_grad_assignment_copies_in_place_and_checks_the_shape():
    p = Parameter(np.zeros((2, 2)))
    array = p.grad
    p.grad = np.ones((2, 2))
    assert p.grad is array and array.sum() == 4
    p.grad *= 3  # in place, then assigned back: still the same array
    assert p.grad is array and array.sum() == 12
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2, 2\)"):
        p.grad = np.ones(3)


def test_move_to_refuses_arrays_of_another_shape():
    p = Parameter(np.zeros(4))
    with pytest.raises(ValueError, match="Parameter.move_to"):
        p.move_to(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="dtype float64"):
        p.move_to(np.zeros(4, np.float32), np.zeros(4, np.float32))


def one_step(opt, value=1.0):
    for p in opt.params:
        p.grad[...] = value
    opt.step()


@pytest.mark.parametrize("flat", [False, True])
def test_a_deep_copied_model_and_optimizer_train_together(flat):
    model = build(flat, dtype="float64")
    opt = SGD(model.parameters(), lr=1.0, momentum=0.9)
    one_step(opt)
    model2, opt2 = copy.deepcopy((model, opt))
    before = [p.data.copy() for p in model2.parameters()]
    one_step(opt2)  # v = 0.9·1 + 1 = 1.9 for every element
    for p, b in zip(model2.parameters(), before):
        np.testing.assert_allclose(p.data, b - 1.9)
    np.testing.assert_allclose(opt2.state_dict()["state"]["momentum"][0], 1.9)
    np.testing.assert_allclose(opt.state_dict()["state"]["momentum"][0], 1.0)  # the original is untouched


def test_rebinding_a_parameter_array_is_followed_and_keeps_the_state():
    p = Parameter(np.ones(3))
    opt = SGD([p], lr=1.0, momentum=0.5)
    one_step(opt)  # v = 1, p = 0
    p.data = np.full(3, 10.0)  # new arrays, PyTorch-style
    one_step(opt)  # v = 0.5 + 1 = 1.5
    np.testing.assert_allclose(p.data, 8.5)


def test_non_contiguous_parameters_are_updated_in_place():
    p = Parameter(np.ones((3, 4)))
    p.data = np.ones((4, 3)).T  # a transposed view: not C-contiguous
    opt = Adam([p], lr=0.1)
    one_step(opt)
    np.testing.assert_allclose(p.data, 0.9, rtol=1e-6)


def test_flattening_after_the_optimizer_was_built_is_followed_and_keeps_the_state():
    model = build(False, dtype="float64")
    opt = SGD(model.parameters(), lr=1.0, momentum=0.5)
    one_step(opt)
    model.flatten_parameters()
    before = [p.data.copy() for p in model.parameters()]
    one_step(opt)
    assert len(opt._blocks) == 1
    for p, b in zip(model.parameters(), before):
        np.testing.assert_allclose(p.data, b - 1.5)


def test_setting_a_gradient_to_none_says_what_to_do_instead():
    with pytest.raises(TypeError, match="lazy=True"):
        Parameter(np.zeros(2)).grad = None
