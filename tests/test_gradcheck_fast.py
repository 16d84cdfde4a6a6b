"""Fast mode (check_directional): agrees with the per-element check and catches the same bugs."""

import numpy as np
import pytest
from gradcheck_bugs import ScaledDense, planted

from minidl import BatchNorm1d, Dense, Dropout, ReLU, Sequential, Tanh
from minidl.gradcheck import check_directional, check_module
from minidl.nn.models import mlp


def small_models():
    return {
        "dense": Dense(4, 3, rng=0, dtype="float64"),
        "tanh": Tanh(),
        "relu mlp": mlp([4, 6, 6, 3], rng=0, dtype="float64"),
        "tanh mlp": mlp([4, 5, 3], activation="tanh", rng=1, dtype="float64"),
        "bn + dropout": Sequential(Dense(4, 5, rng=0, dtype="float64"),
                                   BatchNorm1d(5, dtype="float64"), ReLU(), Dropout(0.3, rng=0),
                                   Dense(5, 2, rng=1, dtype="float64")),
    }


@pytest.mark.parametrize("name", list(small_models()))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_mode_agrees_with_the_full_check(name, seed):
    model = small_models()[name]
    x = np.random.default_rng(seed).standard_normal((5, 4))
    fast, full = check_directional(model, x, rng=seed), check_module(model, x, rng=seed)
    assert fast.ok and full.ok, fast.table() + "\n" + full.table()
    assert [(r.name, r.shape) for r in fast.rows] == [(r.name, r.shape) for r in full.rows]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("index", range(len(planted())))
def test_fast_mode_catches_the_planted_bugs(index, seed):
    layer, guilty = planted()[index]
    x = np.random.default_rng(42 + seed).standard_normal((5, 4))
    assert check_directional(layer, x, rng=seed).failed == guilty
    assert check_module(layer, x, rng=seed, fast=True).failed == guilty


def test_a_bug_deep_in_a_stack_is_named_by_position():
    model = mlp([4, 6, 3], rng=0, dtype="float64")
    model.layers[2] = ScaledDense(6, 3, rng=1, dtype="float64")  # its dX flows into layers 1, 0
    report = check_directional(model, np.random.default_rng(0).standard_normal((4, 4)), rng=0)
    assert report.failed == ["dx", "0.W", "0.b"]


def test_relu_exactly_on_its_kink_passes_and_a_wrong_one_fails():
    class MasklessReLU(ReLU):
        def backward(self, dout):
            """A planted bug: dZ = dH everywhere (the mask is forgotten)."""
            self.cached()
            return dout

    x = np.array([[0.0, 1.0, -1.0, 0.0], [2e-7, -3e-7, 0.5, 0.0]])
    report = check_directional(ReLU(), x, rng=0)
    assert report.ok and report["dx"].kinks >= 3  # every direction crosses: judged per element
    assert not check_directional(MasklessReLU(), x, rng=0).ok


def test_directional_rows_report_the_worst_direction():
    layer = Dense(3, 2, rng=0, dtype="float64")
    report = check_directional(layer, np.ones((2, 3)), rng=0, directions=3)
    assert "3 random directions" in report.title
    row = report["W"]
    assert row.shape == (3, 2) and row.worst_index[0] in range(3)
    assert row.numeric == pytest.approx(row.analytic, rel=1e-6)


def test_fast_mode_leaves_inputs_parameters_and_buffers_untouched():
    model = mlp([4, 6, 3], rng=0, dtype="float64", batchnorm=True, dropout=0.2)
    x = np.random.default_rng(0).standard_normal((3, 4))
    x_before, state = x.copy(), model.state_dict()
    check_directional(model, x, rng=0)
    assert np.array_equal(x, x_before)
    assert all(np.array_equal(model.state_dict()[k], v) for k, v in state.items())


@pytest.mark.parametrize("fast", [False, True])
def test_a_degenerate_point_does_not_fail_a_correct_model(fast):
    # A row of zeros into Dense (zero bias) → ReLU puts every hidden unit of that sample
    # exactly on its kink at once: its dx row and the whole first bias are corners.
    model = mlp([4, 8, 8, 3], rng=0, dtype="float64")
    x = np.random.default_rng(0).standard_normal((5, 4))
    x[2] = 0.0
    report = check_module(model, x, rng=0, fast=fast)
    assert report.ok, report.table()
    assert report["dx"].kinks >= 1
    assert "all 8 at kinks: unchecked" in report["0.b"].verdict


def test_a_200k_parameter_mlp_is_checked():
    model = mlp([784, 256, 10], rng=0, dtype="float64")
    assert model.num_parameters() > 200_000
    x = np.random.default_rng(0).standard_normal((32, 784))
    report = check_directional(model, x, rng=0)
    assert report.ok, report.table()
    assert [r.name for r in report.rows] == ["dx", "0.W", "0.b", "2.W", "2.b"]
    model.layers[0] = ScaledDense(784, 256, rng=0, dtype="float64")
    assert check_directional(model, x, rng=0).failed == ["dx"]


def test_directions_must_be_positive():
    with pytest.raises(ValueError, match="directions must be at least 1"):
        check_directional(Tanh(), np.ones((1, 2)), directions=0)
