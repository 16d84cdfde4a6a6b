"""Optimizer states and hyper-parameters are checked in full; a refused state changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from minidl import SGD, Adam, Dense, Parameter


def _params():
    return [Parameter(np.ones(3)), Parameter(np.ones(2))]


def _sgd_state(**changes):
    opt = SGD(_params(), lr=0.1, momentum=0.9)
    state = opt.state_dict()
    state["hyper"].update(changes)
    return state


@pytest.mark.parametrize("changes, message", [
    ({"lr": -1.0}, "learning rate"), ({"lr": float("nan")}, "learning rate"),
    ({"momentum": 5.0}, "momentum"), ({"momentum": 1.0}, "momentum"),
    ({"weight_decay": -1.0}, "weight_decay"), ({"nesterov": "yes"}, "nesterov"),
])
def test_sgd_refuses_bad_hyper_parameters_in_a_state(changes, message):
    opt = SGD(_params(), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(_sgd_state(**changes))
    assert opt.hyper["lr"] == 0.1 and opt.hyper["momentum"] == 0.9


def test_a_refused_state_changes_no_buffer():
    opt = SGD(_params(), lr=0.1, momentum=0.9)
    before = [a.copy() for a in opt.state["momentum"]]
    state = _sgd_state()
    state["state"]["momentum"][0][...] = 7.0
    state["state"]["momentum"][1] = np.ones(5)  # wrong shape: rejected after buffer 0 was fine
    with pytest.raises(ValueError, match="shapes"):
        opt.load_state_dict(state)
    for old, now in zip(before, opt.state["momentum"]):
        np.testing.assert_array_equal(old, now)


@pytest.mark.parametrize("steps", [float("inf"), -1, 2.5, "3", True])
def test_steps_must_be_a_non_negative_integer(steps):
    opt = Adam(_params())
    state = opt.state_dict()
    state["steps"] = steps
    with pytest.raises(ValueError, match="steps"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("bad", [np.ones(3, dtype=np.int64), [1.0, 1.0, 1.0], np.full(3, np.nan)])
def test_buffers_of_the_wrong_kind_are_refused(bad):
    opt = Adam(_params())
    state = opt.state_dict()
    state["state"]["exp_avg"][0] = bad
    with pytest.raises(ValueError, match="exp_avg buffer 0"):
        opt.load_state_dict(state)


@pytest.mark.parametrize("betas", [0.9, (0.9,), (0.9, 1.0), ("a", 0.9)])
def test_adam_betas_are_checked_with_a_message(betas):
    with pytest.raises(ValueError, match="beta"):
        Adam(_params(), betas=betas)


def test_sgd_on_an_integer_parameter_says_so():
    with pytest.raises(TypeError, match="dtype int64.*floating-point"):
        SGD([Parameter(np.ones(3, dtype=np.int64))], lr=0.1)


def test_a_valid_state_still_round_trips():
    layer = Dense(3, 2, rng=0)
    opt = Adam(layer.parameters(), lr=0.01)
    layer.dW[...] = 1.0
    opt.step()
    fresh = Adam(layer.parameters(), lr=0.01)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.steps == 1 and fresh.betas == (0.9, 0.999)
    np.testing.assert_array_equal(fresh.state["exp_avg"][0], opt.state["exp_avg"][0])


@pytest.mark.parametrize("dout", ["abc", np.array([["a", "b"], ["c", "d"]]), np.array([[None, 1], [2, 3]])])
def test_a_non_numeric_dout_says_what_backward_expects(dout):
    layer = Dense(3, 2, rng=0)
    layer(np.ones((2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"Dense\(3 → 2\).backward: expected dout to be a numeric array"):
        layer.backward(dout)
