"""The engine's convolution ops (pad2d, windows, add_windows, einsum) against central
differences, and cross_check of the convolutional layers and a whole CNN against the engine."""

import numpy as np
import pytest

from minidl import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Flatten,
    MaxPool2d,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
)
from minidl.autodiff import Tensor
from minidl.autodiff.ops_conv import add_windows, einsum, pad2d, windows
from minidl.gradcheck import cross_check, numerical_grad
from minidl.gradcheck.suite import run_checks


def _engine_grad(fn, x, g):
    t = Tensor(x, requires_grad=True)
    (fn(t) * g).sum().backward()
    return t.grad


@pytest.mark.parametrize("name, fn, shape", [
    ("pad2d", lambda t: pad2d(t, 2), (2, 1, 3, 4)),
    ("windows stride 1", lambda t: windows(t, 2, 3, 1), (2, 2, 4, 5)),
    ("windows stride 2", lambda t: windows(t, 3, 2, 2), (1, 2, 5, 6)),
    ("windows dilated", lambda t: windows(t, 2, 3, 1, 2), (2, 1, 5, 7)),
    ("windows stride 2 dilated", lambda t: windows(t, 3, 2, 2, 2), (1, 2, 7, 6)),
    ("add_windows", lambda t: add_windows(t, (1, 2, 5, 6), 2), (1, 2, 2, 3, 3, 2)),
    ("add_windows dilated", lambda t: add_windows(t, (1, 2, 7, 6), 2, 2), (1, 2, 2, 2, 3, 2)),
    ("einsum", lambda t: einsum("ncij,fc->nfij", t, np.arange(6.0).reshape(3, 2) - 2), (2, 2, 3, 2)),
])
def test_conv_ops_match_central_differences(name, fn, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(fn(Tensor(x)).shape)
    numeric = numerical_grad(lambda a: float((fn(Tensor(a)).data * g).sum()), x)
    np.testing.assert_allclose(_engine_grad(fn, x, g), numeric, rtol=1e-7, atol=1e-9)


def test_einsum_second_operand_gradient():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 3))
    g = rng.standard_normal((2, 5, 4))
    numeric = numerical_grad(lambda w: float((np.einsum("ncj,fc->nfj", a, w) * g).sum()), b)
    np.testing.assert_allclose(_engine_grad(lambda t: einsum("ncj,fc->nfj", a, t), b, g), numeric,
                               rtol=1e-7, atol=1e-9)


def test_einsum_refuses_an_index_summed_inside_one_operand():
    with pytest.raises(ValueError, match="indices"):
        einsum("ij,jk->k", Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4))))


def test_whole_cnn_cross_checks_against_the_engine():
    rng = np.random.default_rng(2)
    model = Sequential(Conv2d(1, 3, 3, padding=1, rng=0, dtype="float64"), BatchNorm2d(3, dtype="float64"),
                       ReLU(), MaxPool2d(2, dtype="float64"),
                       Conv2d(3, 3, (2, 3), stride=2, padding=1, rng=1, dtype="float64"),
                       Conv2d(3, 4, 2, padding=1, dilation=2, rng=3, dtype="float64"),
                       AvgPool2d(2, stride=1, dtype="float64"), Flatten(),
                       Dense(4, 5, rng=2, dtype="float64"))
    x = rng.standard_normal((3, 1, 6, 7))
    report = cross_check(model, x, rng.integers(0, 5, 3), SoftmaxCrossEntropy())
    assert report.ok, report


def test_gradcheck_specimens_of_every_conv_layer_pass():
    checks = run_checks(["Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten",
                         "Reshape", "BatchNorm2d", "cnn"], dtype="float64", seed=0)
    assert checks and all(c.report.ok for c in checks)
