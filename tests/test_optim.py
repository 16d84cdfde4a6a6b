"""Optimizers against hand-computed updates (PyTorch's conventions), state and errors."""

import numpy as np
import pytest

from minidl import SGD, Adam, Dense, Parameter, Sequential


def param(value, grad):
    p = Parameter(np.array(value, dtype=np.float64))
    p.grad[...] = grad
    return p


def test_plain_sgd_step():
    p = param([1.0, -2.0], [0.5, 0.25])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.025])


def test_sgd_momentum_over_three_steps():
    p = param([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    # v1 = 1, p = 0.9; v2 = 0.9·1 + 1 = 1.9, p = 0.71; v3 = 0.9·1.9 + 1 = 2.71, p = 0.439
    for expected in (0.9, 0.71, 0.439):
        opt.step()
        np.testing.assert_allclose(p.data, [expected])


def test_sgd_nesterov():
    p = param([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    # v1 = 1, step g + μv = 1.9 → p = 0.81; v2 = 1.9, step 1 + 0.9·1.9 = 2.71 → p = 0.539
    for expected in (0.81, 0.539):
        opt.step()
        np.testing.assert_allclose(p.data, [expected])


def test_sgd_weight_decay_is_added_to_the_gradient_not_stored():
    p = param([2.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.5, weight_decay=0.1)
    opt.step()  # g = 1 + 0.1·2 = 1.2, v = 1.2, p = 2 − 0.12
    np.testing.assert_allclose(p.data, [1.88])
    np.testing.assert_array_equal(p.grad, [1.0])
    opt.step()  # g = 1 + 0.188 = 1.188, v = 0.6 + 1.188 = 1.788, p = 1.88 − 0.1788
    np.testing.assert_allclose(p.data, [1.7012])


def test_adam_first_steps_with_bias_correction():
    p = param([1.0, -1.0], [0.5, -2.0])
    opt = Adam([p], lr=0.1)
    opt.step()
    # t=1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) = ±lr
    np.testing.assert_allclose(p.data, [0.9, -0.9], rtol=1e-6)
    p.grad[...] = [1.0, 1.0]
    opt.step()
    m = 0.9 * 0.1 * np.array([0.5, -2.0]) + 0.1 * 1.0
    v = 0.999 * 0.001 * np.array([0.25, 4.0]) + 0.001 * 1.0
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    np.testing.assert_allclose(p.data, [0.9, -0.9] - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8))


def test_adam_weight_decay_adds_l2_to_the_gradient():
    p = param([2.0], [0.0])
    Adam([p], lr=0.01, weight_decay=0.5).step()  # g = 1.0 → a step of exactly lr
    np.testing.assert_allclose(p.data, [1.99])


def test_optimizer_zero_grad_and_updates_in_place():
    model = Sequential(Dense(3, 2, rng=0))
    arrays = [p.data for p in model.parameters()]
    opt = SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad += 1
    opt.step()
    assert all(p.data is a for p, a in zip(model.parameters(), arrays))
    assert model[0].W is arrays[0]
    opt.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_float32_parameters_stay_float32():
    p = Parameter(np.ones(3, dtype=np.float32))
    p.grad += 0.5
    for opt in (SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1), Adam([p])):
        opt.step()
        assert p.data.dtype == np.float32


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: Adam(ps, lr=1e-2, weight_decay=1e-3),
])
def test_state_dict_resumes_identically(make):
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, 4))
    a, b = param(np.ones(4), 0.0), param(np.ones(4), 0.0)
    opt_a = make([a])
    for g in grads:
        a.grad[...] = g
        opt_a.step()
    # b runs 3 steps, saves, a fresh optimizer resumes for the last 3.
    opt_b = make([b])
    for g in grads[:3]:
        b.grad[...] = g
        opt_b.step()
    state = opt_b.state_dict()
    opt_c = make([b])
    opt_c.load_state_dict(state)
    for g in grads[3:]:
        b.grad[...] = g
        opt_c.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_load_state_dict_rejects_a_mismatched_state():
    opt = SGD([param([1.0], [1.0])], lr=0.1, momentum=0.9)
    other = SGD([param([1.0, 2.0], [1.0, 1.0])], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"momentum buffers have shapes \[\(2,\)\], expected \[\(1,\)\]"):
        opt.load_state_dict(other.state_dict())
    with pytest.raises(ValueError, match="buffers"):
        opt.load_state_dict(Adam([param([1.0], [1.0])]).state_dict())


def test_lr_can_be_changed_by_a_schedule():
    p = param([1.0], [1.0])
    opt = SGD([p], lr=0.1)
    opt.lr = 0.5
    opt.step()
    np.testing.assert_allclose(p.data, [0.5])
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt.lr = -1


@pytest.mark.parametrize("make, message", [
    (lambda ps: SGD(ps, lr=-1), "Invalid learning rate: -1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum > 0"),
    (lambda ps: Adam(ps, lr=-0.001), "Invalid learning rate: -0.001"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda ps: Adam(ps, eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda ps: SGD(ps, lr=float("nan")), "Invalid learning rate: nan"),
])
def test_invalid_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([param([1.0], [0.0])])


def test_empty_or_wrong_parameter_lists():
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 0 is a ndarray, expected minidl.Parameter"):
        Adam([np.zeros(3)])


def test_repr_shows_hyper_parameters():
    assert repr(SGD([param([1.0], [0.0])], lr=0.1)) == \
        "SGD(lr=0.1, momentum=0.0, nesterov=False, weight_decay=0.0)"
