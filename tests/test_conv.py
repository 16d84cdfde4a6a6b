"""Conv2d, pooling, BatchNorm2d, Flatten and Reshape: float64 central-difference checks over
hypothesis-drawn shapes, PyTorch agreement, ties, errors and save/load configs."""

import numpy as np
import pytest

try:
    import torch
except ImportError:  # PyTorch is a local comparison only: its parts skip without it
    torch = None
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    Reshape,
)
from minidl.gradcheck import check_module
from minidl.nn.registry import registered_module

FAST = settings(max_examples=12, deadline=None)


@st.composite
def conv_cases(draw):
    """A Conv2d and an input it fits: non-square, stride up to 2, padding up to 1, and
    kernels up to the padded input's size."""
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    p = draw(st.integers(0, 1))
    kh, kw = draw(st.integers(1, h + 2 * p)), draw(st.integers(1, w + 2 * p))
    s = draw(st.integers(1, 2))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    layer = Conv2d(c, f, (kh, kw), stride=s, padding=p, rng=seed, dtype="float64")
    layer.b = np.random.default_rng(seed).standard_normal(f)
    return layer, np.random.default_rng(seed + 1).standard_normal((n, c, h, w))


@FAST
@given(conv_cases())
def test_conv2d_gradients_match_central_differences(case):
    layer, x = case
    report = check_module(layer, x, rng=0)
    assert report.ok, report


@FAST
@given(conv_cases())
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    layer, x = case
    z = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(layer.W), torch.tensor(layer.b),
                                   stride=layer.stride, padding=layer.padding)
    np.testing.assert_allclose(layer(x), z.numpy(), rtol=1e-12, atol=1e-12)


@st.composite
def pool_cases(draw):
    h, w = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    k = draw(st.integers(1, min(h, w)))
    s = draw(st.integers(1, 3))
    x = np.random.default_rng(draw(st.integers(0, 2**16))).standard_normal((2, 2, h, w))
    return k, s, x


@FAST
@given(pool_cases(), st.sampled_from([MaxPool2d, AvgPool2d]))
def test_pooling_gradients_match_central_differences_and_torch(case, cls):
    k, s, x = case
    layer = cls(k, stride=s, dtype="float64")
    report = check_module(layer, x, rng=0)
    assert report.ok, report
    if torch is None:  # the comparison with PyTorch is local only
        return
    ref = (torch.nn.functional.max_pool2d if cls is MaxPool2d else torch.nn.functional.avg_pool2d)
    np.testing.assert_allclose(layer(x), ref(torch.tensor(x), k, s).numpy(), rtol=1e-12)


def test_maxpool_tie_goes_to_first_maximum_in_row_major_order_as_torch():
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 3.0], [2.0, 3.0, 1.0]]]])
    layer = MaxPool2d(2, stride=1, dtype="float64")
    layer(x)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2, 1).sum().backward()
    np.testing.assert_array_equal(dx, xt.grad.numpy())
    np.testing.assert_array_equal(dx[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm2d_gradients_and_torch_agreement(mode):
    rng = np.random.default_rng(3)
    bn = BatchNorm2d(3, dtype="float64")
    ref = torch.nn.BatchNorm2d(3).double() if torch is not None else None  # local comparison only
    for _ in range(2):  # running statistics away from 0, 1
        batch = rng.standard_normal((2, 3, 2, 3)) * 2 + 1
        bn(batch)
        if ref is not None:
            ref(torch.tensor(batch))
    if ref is not None:
        np.testing.assert_allclose(bn.running_var, ref.running_var.numpy(), rtol=1e-12)
        np.testing.assert_allclose(bn.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    bn.gamma = rng.uniform(0.5, 1.5, 3)
    bn.beta = rng.standard_normal(3)
    bn.train(mode == "train")
    report = check_module(bn, rng.standard_normal((2, 3, 2, 3)), rng=0)
    assert report.ok, report


def test_global_pool_flatten_reshape_gradients():
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 4))
    for layer in (GlobalAvgPool2d(dtype="float64"), Flatten()):
        assert check_module(layer, x, rng=0).ok
    assert check_module(Reshape((3, 8)), x.reshape(2, 24), rng=0).ok
    if torch is not None:  # local comparison only
        np.testing.assert_array_equal(Flatten()(x), torch.flatten(torch.tensor(x), 1).numpy())


def test_backward_accumulates_parameter_gradients():
    layer = Conv2d(2, 3, 2, stride=2, padding=1, rng=0, dtype="float64")
    x = np.random.default_rng(1).standard_normal((2, 2, 4, 5))
    g = np.random.default_rng(2).standard_normal(layer(x).shape)
    layer.backward(g)
    once = layer.dW.copy(), layer.db.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.dW, 2 * once[0])
    np.testing.assert_allclose(layer.db, 2 * once[1])


def test_float32_in_gives_float32_out_and_gradients():
    layer = Conv2d(1, 2, 3, rng=0)
    x = np.ones((2, 1, 5, 5), dtype=np.float32)
    out = layer(x)
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32
    assert layer.dW.dtype == np.float32


def test_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Conv2d\(1 → 32, 3×3\)\.forward: expected input "
                                         r"\(N, 1, H, W\), got \(128, 784\)"):
        Conv2d(1, 32, 3)(np.zeros((128, 784)))
    with pytest.raises(ValueError, match="5×5 window does not fit"):
        Conv2d(1, 2, 5, padding=0)(np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(3×3\)"):
        MaxPool2d(3)(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"Reshape"):
        Reshape((1, 28, 28))(np.zeros((2, 100)))


def test_layers_rebuild_from_their_config():
    for layer in (Conv2d(2, 3, (3, 2), stride=2, padding=1), MaxPool2d(2), AvgPool2d(3, stride=1),
                  GlobalAvgPool2d(), Flatten(), Reshape((1, 4, 4)), BatchNorm2d(3)):
        rebuilt = registered_module(type(layer).__name__)(**layer.get_config())
        assert repr(rebuilt) == repr(layer)


def test_a_small_cnn_learns_a_synthetic_image_task():
    from minidl import Adam, SoftmaxCrossEntropy
    from minidl.nn.models import cnn
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    images = rng.standard_normal((64, 1, 8, 8)) * 0.3
    images[y == 1, 0, 2:6, 3:5] += 1.5  # class 1: a bright vertical bar
    model = cnn(8, 2, channels=(4,), hidden=8, rng=0, dtype="float64")
    loss_fn, opt = SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        losses.append(loss_fn(model(images.reshape(64, -1)), y))
        model.backward(loss_fn.backward())
        opt.step()
    assert losses[-1] < 0.5 * losses[0]
