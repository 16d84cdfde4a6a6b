"""Buffers: non-trainable module state, saved and restored with the parameters, never optimized."""

import numpy as np
import pytest

from minidl import SGD, Adam, BatchNorm1d, Dense, Module, Parameter, ReLU, Sequential


class Counter(Module):
    """A user-written module with one parameter and one buffer."""

    def __init__(self):
        self.scale = Parameter(np.ones(2))
        self.register_buffer("seen", np.zeros(2))

    def forward(self, x):
        self.seen += x.sum(axis=0)
        return x * self.scale


def test_a_buffer_reads_back_by_name_and_assigning_copies_in_place():
    m = Counter()
    seen = m.seen
    m(np.ones((3, 2)))
    assert m.seen is seen and "seen" not in vars(m)  # `+=` rebound the name to the same array
    np.testing.assert_array_equal(seen, [3.0, 3.0])
    m.seen = [1.0, 2.0]
    assert m.seen is seen
    np.testing.assert_array_equal(seen, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"cannot assign seen of shape \(3,\), expected \(2,\)"):
        m.seen = np.zeros(3)


def test_buffers_are_named_by_position_and_never_parameters():
    model = Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), ReLU(), Sequential(Counter()))
    assert [name for name, _ in model.named_buffers()] == \
        ["1.running_mean", "1.running_var", "3.0.seen"]
    assert [name for name, _ in model.named_parameters()] == \
        ["0.W", "0.b", "1.gamma", "1.beta", "3.0.scale"]
    buffer_ids = {id(b) for b in model.buffers()}
    assert not buffer_ids & {id(p.data) for p in model.parameters()}


@pytest.mark.parametrize("make_optimizer", [
    lambda ps: SGD(ps, lr=0.5, momentum=0.9, weight_decay=0.1),
    lambda ps: Adam(ps, lr=0.5, weight_decay=0.1),
])
def test_optimizers_and_zero_grad_leave_buffers_alone(make_optimizer):
    m = Counter()
    m.seen = [5.0, -5.0]
    m.dscale += 1.0
    make_optimizer(m.parameters()).step()
    m.zero_grad()
    np.testing.assert_array_equal(m.seen, [5.0, -5.0])
    assert (m.scale != 1.0).all()


def test_state_dict_holds_copies_of_the_buffers():
    m = Counter()
    state = m.state_dict()
    assert list(state) == ["scale", "seen"]
    state["seen"][0] = 9.0
    assert m.seen[0] == 0.0


def test_load_state_dict_restores_buffers():
    source = Sequential(Dense(2, 3, rng=0, dtype="float64"), BatchNorm1d(3, dtype="float64"))
    source(np.random.default_rng(0).standard_normal((5, 2)))
    target = Sequential(Dense(2, 3, rng=1, dtype="float64"), BatchNorm1d(3, dtype="float64"))
    running_mean = target[1].running_mean
    target.load_state_dict(source.state_dict())
    assert target[1].running_mean is running_mean  # restored in place
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name], value)


def test_load_state_dict_is_strict_about_buffers():
    model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3))
    state = model.state_dict()
    del state["1.running_var"]
    with pytest.raises(KeyError, match=r"missing keys \['1\.running_var'\], unexpected keys \[\]"):
        model.load_state_dict(state)
    state = dict(model.state_dict(), **{"1.num_batches": np.zeros(())})
    with pytest.raises(KeyError, match=r"missing keys \[\], unexpected keys \['1\.num_batches'\]"):
        model.load_state_dict(state)


def test_a_bad_buffer_assigns_nothing():
    model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3))
    before = model.state_dict()
    bad = {name: value + 1 for name, value in before.items()}
    bad["1.running_mean"] = np.zeros(4, dtype=np.float32)
    with pytest.raises(ValueError, match=r"1\.running_mean has shape \(4,\), expected \(3,\)"):
        model.load_state_dict(bad)
    bad["1.running_mean"] = np.zeros(3, dtype=np.complex64)
    with pytest.raises(TypeError, match=r"1\.running_mean has dtype complex64, expected float32"):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():  # parameters and buffers untouched
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize("name, message", [
    ("scale", "'scale' is already an attribute or parameter"),
    ("plain", "'plain' is already an attribute or parameter"),
    ("training", "'training' is already an attribute or parameter"),
    ("not a name", "invalid name 'not a name'"),
])
def test_register_buffer_refuses_taken_or_invalid_names(name, message):
    m = Counter()
    m.plain = 3
    with pytest.raises(ValueError, match=rf"Counter\.register_buffer: {message}"):
        m.register_buffer(name, np.zeros(1))
