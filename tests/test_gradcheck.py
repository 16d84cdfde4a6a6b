"""The gradient checker itself: it must catch planted bugs and name the guilty tensor."""

import numpy as np
import pytest
from gradcheck_bugs import OverwritingDense, UnsummedBias, planted

from minidl import Dense, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.gradcheck import (
    GradcheckError,
    PrecisionWarning,
    check_loss,
    check_module,
    numerical_grad,
)


@pytest.mark.parametrize("layer, guilty", planted())
def test_planted_bugs_are_caught_and_named(layer, guilty):
    x = np.random.default_rng(42).standard_normal((5, 4))
    report = check_module(layer, x, rng=0)
    assert report.failed == guilty
    with pytest.raises(GradcheckError, match=f"gradient check failed for {', '.join(guilty)}"):
        report.raise_if_failed()


def test_bug_inside_a_stack_is_named_by_position():
    model = Sequential(Dense(4, 5, rng=0, dtype="float64"), ReLU(),
                       UnsummedBias(5, 2, rng=1, dtype="float64"))
    report = check_module(model, np.random.default_rng(1).standard_normal((6, 4)), rng=0)
    assert report.failed == ["2.b"]


def test_overwrite_is_reported_as_not_accumulating():
    report = check_module(OverwritingDense(3, 2, rng=0, dtype="float64"), np.ones((2, 3)), rng=0)
    assert "instead of accumulating" in report["W"].note


def test_relu_exactly_on_its_kink_passes():
    x = np.array([[0.0, 1.0, -1.0, 0.0], [2e-7, -3e-7, 0.5, 0.0]])
    report = check_module(ReLU(), x, rng=0)
    assert report.ok and report["dx"].kinks >= 3


def test_wrong_relu_fails_even_on_kinks():
    class LeakyBug(ReLU):
        def backward(self, dout):
            """A planted bug: dZ = dH everywhere (the mask is forgotten)."""
            self.cached()
            return dout

    x = np.array([[0.0, 1.0, -1.0, 0.0]])
    assert not check_module(LeakyBug(), x, rng=0).ok


def test_check_module_leaves_gradients_as_they_were():
    layer = Dense(3, 2, rng=0, dtype="float64")
    layer.dW[...] = 7.0
    check_module(layer, np.ones((2, 3)), rng=0)
    assert (layer.dW == 7.0).all()


def test_report_table_names_every_tensor():
    text = check_module(Dense(3, 2, rng=0, dtype="float64"), np.ones((2, 3)), rng=0).table()
    assert "dx" in text and "W" in text and "PASS" in text and "max rel err" in text


def test_numerical_grad_of_a_known_function():
    x = np.array([1.0, -2.0, 3.0])
    estimate = numerical_grad(lambda v: float(np.sum(v ** 3)), x)
    np.testing.assert_allclose(estimate, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])  # restored


def test_numerical_grad_precision_guards():
    with pytest.raises(TypeError, match="float16 is too coarse"):
        numerical_grad(lambda v: float(v.sum()), np.ones(2, dtype=np.float16))
    with pytest.warns(PrecisionWarning, match="float32"):
        numerical_grad(lambda v: float(v.sum()), np.ones(2, dtype=np.float32))


def test_check_loss_catches_a_wrong_loss_gradient():
    class HalfCE(SoftmaxCrossEntropy):
        def backward(self, dout=1.0):
            """A planted bug: ∂L/∂Z = (P − Y)/(2N)."""
            return super().backward(dout) / 2

    z, y = np.random.default_rng(0).standard_normal((3, 4)), np.array([0, 1, 3])
    assert check_loss(SoftmaxCrossEntropy(), z, y).ok
    assert check_loss(HalfCE(), z, y).failed == ["dpred"]
