"""Losses: values, gradients against finite differences, stability and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import MSELoss, SoftmaxCrossEntropy
from minidl.gradcheck import check_loss
from minidl.nn.functional import log_softmax, logsumexp, softmax


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), c=st.integers(1, 6), seed=st.integers(0, 2**16),
       scale=st.sampled_from([0.1, 1.0, 10.0]), one_hot=st.booleans())
def test_cross_entropy_matches_finite_differences(n, c, seed, scale, one_hot):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c)) * scale
    labels = rng.integers(0, c, size=n)
    target = np.eye(c)[labels] if one_hot else labels
    check_loss(SoftmaxCrossEntropy(), logits, target).raise_if_failed()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), c=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_cross_entropy_with_soft_targets(n, c, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(c), size=n)
    check_loss(SoftmaxCrossEntropy(), rng.standard_normal((n, c)), probs).raise_if_failed()


@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(3,), (2, 4), (3, 1), (2, 3, 2)]), seed=st.integers(0, 2**16))
def test_mse_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    check_loss(MSELoss(), rng.standard_normal(shape), rng.standard_normal(shape)).raise_if_failed()


def test_cross_entropy_gradient_is_p_minus_y_over_n():
    rng = np.random.default_rng(0)
    z, y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    loss_fn = SoftmaxCrossEntropy()
    loss = loss_fn(z, y)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(4), y]).mean())
    np.testing.assert_allclose(loss_fn.backward(), (p - np.eye(3)[y]) / 4)


def test_ids_and_one_hot_agree():
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((5, 4)), rng.integers(0, 4, size=5)
    a, b = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    assert a(z, y) == pytest.approx(b(z, np.eye(4)[y]))
    np.testing.assert_allclose(a.backward(), b.backward())


def test_uniform_logits_give_log_c():
    assert SoftmaxCrossEntropy()(np.zeros((3, 10)), np.array([1, 5, 9])) == pytest.approx(np.log(10))


def test_returns_python_float():
    assert type(SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array([0]))) is float
    assert type(MSELoss()(np.zeros(2), np.ones(2))) is float


def test_cross_entropy_of_huge_logits_is_exact():
    loss_fn = SoftmaxCrossEntropy()
    for dtype in (np.float64, np.float32):
        loss = loss_fn(np.array([[1e4, 0.0, -1e4]], dtype=dtype), np.array([2]))
        assert loss == 20000.0
        grad = loss_fn.backward()
        assert np.isfinite(grad).all() and grad.dtype == dtype
        np.testing.assert_array_equal(grad, [[1.0, 0.0, -1.0]])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), shift=st.floats(-1e3, 1e3))
def test_softmax_is_shift_invariant(seed, shift):
    z = np.random.default_rng(seed).standard_normal((3, 5))
    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(softmax(z).sum(axis=1), 1.0)


def test_log_softmax_and_logsumexp_are_finite_at_extremes():
    z = np.array([[1e4, -1e4, 0.0]])
    assert logsumexp(z)[0] == 1e4
    np.testing.assert_array_equal(log_softmax(z), [[0.0, -2e4, -1e4]])


def test_backward_scales_by_dout():
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(np.array([[0.5, -0.5]]), np.array([0]))
    np.testing.assert_allclose(loss_fn.backward(8.0), 8 * loss_fn.backward())


def test_mse_value_and_gradient():
    loss_fn = MSELoss()
    assert loss_fn(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])) == pytest.approx(2.5)
    np.testing.assert_allclose(loss_fn.backward(), [[1.0, 2.0]])


def test_float32_logits_give_float32_gradients():
    loss_fn = SoftmaxCrossEntropy()
    loss_fn(np.zeros((2, 3), dtype=np.float32), np.array([0, 1]))
    assert loss_fn.backward().dtype == np.float32
    mse = MSELoss()
    mse(np.zeros(3, dtype=np.float32), np.ones(3))
    assert mse.backward().dtype == np.float32


# --------------------------------------------------------------- bad input
def test_label_out_of_range_names_label_and_class_count():
    with pytest.raises(IndexError, match=r"label 10 is out of range for 10 classes"):
        SoftmaxCrossEntropy()(np.zeros((2, 10)), np.array([3, 10]))
    with pytest.raises(IndexError, match=r"label -1 is out of range for 3 classes"):
        SoftmaxCrossEntropy()(np.zeros((1, 3)), np.array([-1]))


def test_float_labels_are_a_type_error():
    with pytest.raises(TypeError, match=r"class ids must be integers, got dtype float64"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_empty_batch_is_a_value_error():
    with pytest.raises(ValueError, match="empty batch"):
        SoftmaxCrossEntropy()(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="empty batch"):
        MSELoss()(np.zeros(0), np.zeros(0))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_logits_are_a_value_error(bad):
    with pytest.raises(ValueError, match=r"logits contain NaN or inf \(first at index \(1, 2\)"):
        SoftmaxCrossEntropy()(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, bad]]), np.array([0, 1]))


def test_target_shape_mismatch():
    with pytest.raises(ValueError, match=r"expected targets of shape \(2,\) .* or \(2, 3\)"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"MSELoss: prediction of shape \(4, 1\) and target of shape \(4,\)"):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))


def test_logits_must_be_2d():
    with pytest.raises(ValueError, match=r"expected logits of shape \(N, C\), got \(3,\)"):
        SoftmaxCrossEntropy()(np.zeros(3), np.array([0]))


@pytest.mark.parametrize("loss_fn", [SoftmaxCrossEntropy(), MSELoss()])
def test_backward_before_forward(loss_fn):
    with pytest.raises(RuntimeError, match=rf"{type(loss_fn).__name__}\(\)\.backward called before forward"):
        loss_fn.backward()


def test_cross_entropy_stays_accurate_for_a_hundred_thousand_float32_classes():
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((4, 100_000)) * 1e-3).astype(np.float32)
    y = rng.integers(0, 100_000, 4)
    loss_fn = SoftmaxCrossEntropy()
    loss, grad = loss_fn(z, y), loss_fn.backward()
    z64 = z.astype(np.float64)
    log_p = z64 - z64.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    expected = np.exp(log_p)
    expected[np.arange(4), y] -= 1
    assert loss == pytest.approx(-log_p[np.arange(4), y].mean(), rel=1e-6)
    np.testing.assert_allclose(grad, expected / 4, rtol=1e-5, atol=1e-12)
