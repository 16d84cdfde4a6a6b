"""Dense over the last axis and SoftmaxCrossEntropy on (N, T, C) logits with ignore_index."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import SGD, Dense, Sequential, SoftmaxCrossEntropy, Tanh
from minidl.gradcheck import check_loss, check_module
from minidl.plan import plan

dims = st.integers(min_value=1, max_value=5)


@settings(max_examples=15, deadline=None)
@given(n=dims, t=dims, d=dims, h=dims, seed=st.integers(0, 2**16))
def test_dense_on_sequences_matches_finite_differences(n, t, d, h, seed):
    layer = Dense(d, h, rng=seed, dtype="float64")
    x = np.random.default_rng(seed).standard_normal((n, t, d))
    check_module(layer, x, rng=seed).raise_if_failed()


def test_dense_on_sequences_is_dense_on_each_time_step():
    layer = Dense(4, 3, rng=0, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    out = layer(x)
    for t in range(5):
        np.testing.assert_allclose(out[:, t], x[:, t] @ layer.W.data + layer.b.data, rtol=1e-14)


def test_dense_names_the_last_axis_it_expected():
    with pytest.raises(ValueError, match=r"Dense\(4 → 3\)\.forward: expected input of shape "
                                         r"\(N, N, 4\), got \(2, 5, 3\)"):
        Dense(4, 3, rng=0)(np.zeros((2, 5, 3)))


@settings(max_examples=20, deadline=None)
@given(n=dims, t=dims, c=st.integers(2, 6), seed=st.integers(0, 2**16), ignore=st.booleans())
def test_sequence_cross_entropy_matches_finite_differences(n, t, c, seed, ignore):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, t, c)) * 2
    y = rng.integers(0, c, (n, t))
    if ignore:
        y[rng.random((n, t)) < 0.4] = -100
    check_loss(SoftmaxCrossEntropy(ignore_index=-100 if ignore else None), z, y).raise_if_failed()


@pytest.mark.parametrize("ignore_index", [None, -100, 2])
def test_sequence_cross_entropy_is_pytorchs(ignore_index):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    rng = np.random.default_rng(3)
    z = rng.standard_normal((3, 4, 5))
    y = rng.integers(0, 5, (3, 4))
    y[0, 1] = y[2, 3] = -100 if ignore_index == -100 else y[0, 1]
    loss_fn = SoftmaxCrossEntropy(ignore_index=ignore_index)
    loss, dz = loss_fn(z, y), loss_fn.backward()
    zt = torch.tensor(z, requires_grad=True)
    kwargs = {} if ignore_index is None else {"ignore_index": ignore_index}
    expected = torch.nn.functional.cross_entropy(zt.reshape(-1, 5), torch.tensor(y).reshape(-1),
                                                 **kwargs)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(dz, zt.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_ignored_positions_contribute_nothing():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2, 3, 4))
    y = np.array([[1, -1, 2], [-1, 0, 3]])
    loss_fn = SoftmaxCrossEntropy(ignore_index=-1)
    loss = loss_fn(z, y)
    dz = loss_fn.backward()
    assert not dz[0, 1].any() and not dz[1, 0].any()
    z[0, 1] += 10  # changing an ignored position's logits moves nothing
    assert loss_fn(z, y) == loss
    kept = y != -1
    assert loss == pytest.approx(SoftmaxCrossEntropy()(z[kept], y[kept]))


def test_every_position_ignored_gives_zero_loss_and_gradient():
    loss_fn = SoftmaxCrossEntropy(ignore_index=-100)
    assert loss_fn(np.ones((2, 2, 3)), np.full((2, 2), -100)) == 0.0
    assert not loss_fn.backward().any()


def test_labels_out_of_range_and_bad_shapes_are_named():
    with pytest.raises(IndexError, match=r"label 7 is out of range for 3 classes .*ignore_index=-100"):
        SoftmaxCrossEntropy(ignore_index=-100)(np.zeros((1, 2, 3)), np.array([[7, -100]]))
    with pytest.raises(IndexError, match="label -100 is out of range"):
        SoftmaxCrossEntropy()(np.zeros((1, 2, 3)), np.array([[0, -100]]))
    with pytest.raises(ValueError, match=r"expected targets of shape \(1, 2\) \(class ids\)"):
        SoftmaxCrossEntropy()(np.zeros((1, 2, 3)), np.array([0, 1]))
    with pytest.raises(TypeError, match="ignore_index must be an int or None"):
        SoftmaxCrossEntropy(ignore_index=1.5)


def test_float32_logits_give_float32_gradients():
    loss_fn = SoftmaxCrossEntropy(ignore_index=0)
    loss_fn(np.ones((2, 3, 4), np.float32), np.array([[0, 1, 2], [3, 0, 1]]))
    assert loss_fn.backward().dtype == np.float32


@pytest.mark.parametrize("ignore_index", [None, -100])
def test_planned_sequence_steps_end_where_the_teaching_steps_end(ignore_index):
    def model():
        return Sequential(Dense(4, 6, rng=0, dtype="float64"), Tanh(), Dense(6, 5, rng=1, dtype="float64"))

    rng = np.random.default_rng(5)
    teach, planned = model(), model()
    opt_t, opt_p = SGD(teach.parameters(), lr=0.3), SGD(planned.parameters(), lr=0.3)
    step = plan(planned, SoftmaxCrossEntropy(ignore_index=ignore_index), opt_p)
    loss_fn = SoftmaxCrossEntropy(ignore_index=ignore_index)
    for _ in range(4):
        x = rng.standard_normal((3, 7, 4))
        y = rng.integers(0, 5, (3, 7))
        if ignore_index is not None:
            y[:, -2:] = ignore_index  # padding at the end of every sequence
        teach.zero_grad()
        expected = loss_fn(teach(x), y)
        teach.backward(loss_fn.backward())
        opt_t.step()
        assert step(x, y) == pytest.approx(expected, rel=1e-12)
    for a, b in zip(teach.parameters(), planned.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
