"""Numerical stability at extreme inputs: ±1e4 logits, saturated tanh and sigmoid.

Each test also turns numpy's overflow, invalid and divide warnings into errors itself, so it
does not rely on the project's pytest configuration to notice them. Underflow stays ignored,
numpy's default: e^(−2e4) rounding to 0 is the right answer, not a failure.
"""

import warnings

import numpy as np
import pytest

from minidl.autodiff import Tensor, grad

EXTREME = np.array([1e4, -1e4, 0.0])


@pytest.fixture(autouse=True)
def warnings_are_errors():
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_softmax_of_huge_logits_is_finite_and_exact(dtype):
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    y = x.log_softmax()
    assert y.dtype == dtype
    assert y.data.tolist() == [0.0, -2e4, -1e4]
    y[0].backward()                      # ∂y₀/∂x = e₀ − softmax(x) = [0, 0, 0]
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logsumexp_of_huge_logits_is_finite_and_exact(dtype):
    x = Tensor(np.stack([EXTREME, -EXTREME]).astype(dtype), requires_grad=True)
    lse = x.logsumexp(axis=1)
    assert lse.data.tolist() == [1e4, 1e4]
    lse.sum().backward()                 # softmax of each row
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    assert Tensor([-np.inf, -np.inf]).logsumexp().item() == -np.inf


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_and_sigmoid_saturate_without_warnings(dtype):
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    s, t = x.sigmoid(), x.tanh()
    assert s.data.tolist() == [1.0, 0.0, 0.5] and t.data.tolist() == [1.0, -1.0, 0.0]
    (s + t).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.25]       # σ'(0) + tanh'(0) = 1/4 + 1


def test_cross_entropy_gradient_at_huge_logits():
    def loss(z):
        return -z.log_softmax(axis=1)[np.arange(2), np.array([1, 0])].mean()

    g = grad(loss)(np.stack([EXTREME, EXTREME]))    # (P − Y)/N, P = one-hot of argmax
    assert g.tolist() == [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]]
