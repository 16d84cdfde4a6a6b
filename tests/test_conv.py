"""Conv2d, pooling, BatchNorm2d, Flatten and Reshape: float64 central-difference checks over
hypothesis-drawn shapes, PyTorch agreement, ties, errors and save/load configs."""

import importlib.util

import numpy as np
import pytest
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


def _torch_or_none():
    """PyTorch for the local comparisons, or None (CI has no torch: those parts skip)."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch
    return torch


@st.composite
def conv_cases(draw):
    """A Conv2d and an input it fits: non-square, stride up to 2, padding up to 1, dilation
    up to 3, and kernels whose span d·(K − 1) + 1 reaches up to the padded input's size."""
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    p = draw(st.integers(0, 1))
    d = draw(st.integers(1, 3))
    # the largest K with d·(K − 1) + 1 ≤ the padded size
    kh = draw(st.integers(1, (h + 2 * p - 1) // d + 1))
    kw = draw(st.integers(1, (w + 2 * p - 1) // d + 1))
    s = draw(st.integers(1, 2))
    n, c, f = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    layer = Conv2d(c, f, (kh, kw), stride=s, padding=p, dilation=d, rng=seed, dtype="float64")
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
def test_conv2d_cross_checks_against_the_engine(case):
    """The engine's form (pad2d, windows with its dilation, einsum) against the layer."""
    from minidl import MSELoss, Sequential
    from minidl.gradcheck import cross_check
    layer, x = case
    targets = np.random.default_rng(0).standard_normal(layer(x).size).reshape(len(x), -1)
    report = cross_check(Sequential(layer, Flatten()), x, targets, MSELoss())
    assert report.ok, report


@FAST
@given(conv_cases())
def test_conv2d_matches_torch(case):
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    layer, x = case
    z = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(layer.W), torch.tensor(layer.b),
                                   stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
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
    torch = _torch_or_none()
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
    torch = _torch_or_none()
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


def test_batchnorm2d_on_a_larger_input_passes_with_a_step_above_the_rounding_noise():
    """convolution.md §6 "Checking it on larger inputs": with 256 values per channel the
    default step ∛ε ≈ 6e-6 fails (max rel. error 3.6e-6 for this seed) on dx elements near
    1e-3, because nudging one pixel moves the channel's μ and σ, so all 256 outputs are
    re-rounded and the probe loss's rounding noise, divided by 2h, exceeds rtol·|dx|. The
    backward is right — the engine agrees to 1e-12 — and a step of 1e-4 (BatchNorm is
    smooth, so the O(h²) truncation error stays far below it) passes."""
    from minidl import MSELoss, Sequential
    from minidl.gradcheck import cross_check
    rng = np.random.default_rng(2)
    bn = BatchNorm2d(3, dtype="float64")
    for _ in range(2):
        bn(rng.standard_normal((4, 3, 8, 8)) * 2 + 1)
    bn.gamma = rng.uniform(0.5, 1.5, 3)
    bn.beta = rng.standard_normal(3)
    x = rng.standard_normal((4, 3, 8, 8))
    report = check_module(bn, x, rng=0, eps=1e-4)
    assert report.ok, report
    engine = cross_check(Sequential(bn, Flatten()), x, rng.standard_normal((4, 192)), MSELoss(),
                         rtol=1e-12)
    assert engine.ok, engine


def test_global_pool_flatten_reshape_gradients():
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 4))
    for layer in (GlobalAvgPool2d(dtype="float64"), Flatten()):
        assert check_module(layer, x, rng=0).ok
    assert check_module(Reshape((3, 8)), x.reshape(2, 24), rng=0).ok
    torch = _torch_or_none()
    if torch is not None:  # local comparison only
        np.testing.assert_array_equal(Flatten()(x), torch.flatten(torch.tensor(x), 1).numpy())


@FAST
@given(conv_cases())
def test_dx_is_the_full_correlation_of_the_dilated_padded_dout_with_the_flipped_kernel(case):
    """convolution.md §3 and §8, the other form of dX than the layer's scatter-add: spread
    dZ s apart and the kernel's taps d apart, pad the spread dZ by the spread kernel's size
    − 1, correlate at stride 1 with the flipped spread kernel (channels F → C); pixels of Xp
    no window reached get 0; crop p."""
    layer, x = case
    z = layer(x)
    dz = np.random.default_rng(7).standard_normal(z.shape)
    (n, f, ho, wo), (kh, kw) = z.shape, layer.kernel_size
    s, p, d = layer.stride, layer.padding, layer.dilation
    spread_dz = np.zeros((n, f, s * (ho - 1) + 1, s * (wo - 1) + 1))
    spread_dz[:, :, ::s, ::s] = dz
    spread_w = np.zeros((f, layer.in_channels, d * (kh - 1) + 1, d * (kw - 1) + 1))
    spread_w[:, :, ::d, ::d] = layer.W
    sh, sw = spread_w.shape[2:]
    padded = np.pad(spread_dz, ((0, 0), (0, 0), (sh - 1, sh - 1), (sw - 1, sw - 1)))
    views = np.lib.stride_tricks.sliding_window_view(padded, (sh, sw), axis=(2, 3))
    full = np.einsum("nfuvkl,fckl->ncuv", views, spread_w[:, :, ::-1, ::-1])
    dxp = np.zeros((n, layer.in_channels, x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    dxp[:, :, :full.shape[2], :full.shape[3]] = full
    expected = dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p]
    np.testing.assert_allclose(layer.backward(dz), expected, rtol=1e-12, atol=1e-12)


def test_dilated_conv_is_the_conv_with_zeros_between_the_kernel_taps():
    """convolution.md §8: dilation d reads taps d apart, the same as an undilated kernel of
    span d·(K − 1) + 1 whose in-between taps are 0 — forward, dX and dW on the taps alike."""
    rng = np.random.default_rng(4)
    dilated = Conv2d(2, 3, (2, 3), stride=2, padding=1, dilation=2, rng=0, dtype="float64")
    spread = Conv2d(2, 3, (3, 5), stride=2, padding=1, rng=0, dtype="float64")
    spread.W = np.zeros((3, 2, 3, 5))
    spread.W[:, :, ::2, ::2] = dilated.W
    x = rng.standard_normal((2, 2, 7, 8))
    np.testing.assert_allclose(dilated(x), spread(x), rtol=1e-13, atol=1e-13)
    g = rng.standard_normal(dilated(x).shape)
    spread(x)
    np.testing.assert_allclose(dilated.backward(g), spread.backward(g), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(dilated.dW, spread.dW[:, :, ::2, ::2], rtol=1e-13, atol=1e-13)


def test_a_dilated_conv_survives_save_and_load(tmp_path):
    from minidl import Sequential, load, save
    model = Sequential(Conv2d(1, 2, 3, padding=2, dilation=2, rng=0, dtype="float64"), Flatten())
    save(model, tmp_path / "model.npz")
    again = load(tmp_path / "model.npz")
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 5))
    assert again[0].dilation == 2
    np.testing.assert_array_equal(again(x), model(x))


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
    with pytest.raises(ValueError, match=r"Conv2d\(1 → 2, 3×3, dilation=3\)\.forward: a 3×3 window "
                                         r"dilated by 3 \(spanning 7×7 pixels\) does not fit the "
                                         r"input's 5×6 pixels \(padded: 5×6\)"):
        Conv2d(1, 2, 3, dilation=3)(np.zeros((2, 1, 5, 6)))
    with pytest.raises(ValueError, match=r"dilation must be"):
        Conv2d(1, 2, 3, dilation=0)
    with pytest.raises(ValueError, match=r"MaxPool2d\(3×3\)"):
        MaxPool2d(3)(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"Reshape"):
        Reshape((1, 28, 28))(np.zeros((2, 100)))


def test_layers_rebuild_from_their_config():
    for layer in (Conv2d(2, 3, (3, 2), stride=2, padding=1), Conv2d(1, 2, 3, dilation=2),
                  MaxPool2d(2), AvgPool2d(3, stride=1), GlobalAvgPool2d(), Flatten(),
                  Reshape((1, 4, 4)), BatchNorm2d(3)):
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


def test_pooling_before_the_relu_is_the_same_function_and_gradients_as_after():
    """models.cnn pools before its ReLU: max over a window commutes with ReLU, ties and
    all-negative windows included (their gradient is 0 either way)."""
    from minidl import Sequential
    from minidl.nn.models import cnn
    model = cnn(8, 3, channels=(4, 3), hidden=6, rng=0, dtype="float64")
    swapped = [type(layer).__name__ for layer in model.layers]
    assert swapped[1:5] == ["Conv2d", "BatchNorm2d", "MaxPool2d", "ReLU"]
    usual = Sequential(*cnn(8, 3, channels=(4, 3), hidden=6, rng=0, dtype="float64").layers)
    for i in (3, 7):  # back to Conv2d → BatchNorm2d → ReLU → MaxPool2d
        usual.layers[i], usual.layers[i + 1] = usual.layers[i + 1], usual.layers[i]
    rng = np.random.default_rng(1)
    x = np.round(rng.standard_normal((5, 64)), 1)  # rounded: ties inside the windows
    g = rng.standard_normal((5, 3))
    np.testing.assert_array_equal(model(x), usual(x))
    np.testing.assert_array_equal(model.backward(g), usual.backward(g))
    for p, q in zip(model.parameters(), usual.parameters()):
        np.testing.assert_array_equal(p.grad, q.grad)
