"""The planned image kernels (plan/kernels/conv.py, pooling.py, batchnorm2d.py, shape.py,
images.py) are held to the teaching layers: planned steps of small CNNs end at the
parameters, BatchNorm2d running statistics, losses and optimizer state the plain loop
reaches (float64 to 1e-10 relative, float32 within rounding), over a changing batch size;
each kernel's forward and backward equal its layer's over hypothesis-drawn configurations;
max-pool ties route as the layer routes them; a steady-state step allocates nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_helpers import steady_peak_bytes
from test_plan import OPTIMIZERS, assert_close, assert_same_state, teaching_step

from minidl import SGD, Dense, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.nn.layers import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    MaxPool2d,
    Reshape,
)
from minidl.nn.models import cnn
from minidl.plan import plan
from minidl.plan.kernels import OwnMethods, kernel_for
from minidl.plan.workspace import Workspace

C = 3


def small_cnn(dt):
    """The CLI's CNN in miniature: Reshape, [Conv 3×3 pad 1 → BN2d → ReLU → MaxPool 2] × 2, Dense."""
    return cnn(8, C, channels=(3, 4), hidden=6, rng=0, dtype=dt)


def assorted(dt):
    """Every image kernel in the configurations the CLI's CNN does not use: a (2, 3) kernel
    with stride 2 and padding 1, a dilated one, overlapping average and max pools, BatchNorm2d
    without γ, β, a global average; the data arrive as (N, 2, H, W), not channels last."""
    return Sequential(Conv2d(2, 4, (2, 3), stride=2, padding=1, rng=1, dtype=dt), ReLU(),
                      AvgPool2d(2, stride=1, dtype=dt),
                      Conv2d(4, 5, 3, padding=2, dilation=2, rng=2, dtype=dt),
                      BatchNorm2d(5, affine=False, dtype=dt), MaxPool2d(3, stride=2, dtype=dt),
                      GlobalAvgPool2d(dtype=dt), Dense(5, C, rng=3, dtype=dt))


def flattened(dt):
    """Flatten of a channels-last image feeding a Dense, and a Flatten of plain data."""
    return Sequential(Reshape((2, 5, 6)), Flatten(), Reshape((2, 5, 6)),
                      Conv2d(2, 3, 3, rng=1, dtype=dt), ReLU(), Flatten(),
                      Dense(3 * 3 * 4, C, rng=2, dtype=dt))


MODELS = {"small-cnn": (small_cnn, (64,)), "assorted": (assorted, (2, 11, 9)),
          "flattened": (flattened, (60,))}


def batches(shape, dtype, sizes=(8, 8, 5, 8)):
    """A changing batch size (a smaller one, as an epoch's last batch, then the full size again)."""
    rng = np.random.default_rng(7)
    for n in sizes:
        yield rng.standard_normal((n, *shape)).astype(dtype), rng.integers(0, C, n)


def run_both(model_name, opt_name, dtype):
    make, shape = MODELS[model_name]
    teach, planned = make(dtype), make(dtype)
    opt_t, opt_p = OPTIMIZERS[opt_name](teach.parameters()), OPTIMIZERS[opt_name](planned.parameters())
    loss_t = SoftmaxCrossEntropy()
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    for x, y in batches(shape, dtype):
        expected = teaching_step(teach, loss_t, opt_t, x, y)
        assert step(x, y) == pytest.approx(expected, rel=1e-10 if dtype == "float64" else 1e-4)
    return teach, planned, opt_t, opt_p, step


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_planned_cnn_steps_end_where_the_teaching_loop_ends_float64(model_name, opt_name):
    teach, planned, opt_t, opt_p, step = run_both(model_name, opt_name, "float64")
    assert_same_state(teach, planned, opt_t, opt_p, 1e-10)  # BatchNorm2d's running statistics too
    own = [type(k.layer).__name__ for k in step.kernels if isinstance(k, OwnMethods)]
    assert set(own) <= {"Reshape"}, f"ran on their own methods: {own}"
    # every image kernel's backward is linear in dY: SGD's steps fold the learning rate in
    assert step.can_fold == (opt_name == "momentum")


def biases_into_batchnorm(model) -> list[str]:
    """Names of the conv biases a BatchNorm2d follows: their gradient is zero in exact
    arithmetic (the mean is subtracted), so they hold only rounding noise, which Adam scales
    up to steps of about lr·noise/ε, differently on two correct paths."""
    names = [name for name, _ in model.named_modules()]
    modules = [m for _, m in model.named_modules()]
    return [f"{names[i]}.b" for i in range(len(modules) - 1)
            if type(modules[i]) is Conv2d and type(modules[i + 1]) is BatchNorm2d]


@pytest.mark.parametrize("model_name", ["small-cnn", "assorted"])
@pytest.mark.parametrize("opt_name", ["momentum", "adam"])
def test_planned_cnn_steps_agree_within_rounding_float32(model_name, opt_name):
    teach, planned, opt_t, opt_p, _ = run_both(model_name, opt_name, "float32")
    assert all(p.dtype == np.float32 for p in planned.parameters())
    noise = biases_into_batchnorm(teach)
    assert noise, "the test expects a conv bias feeding BatchNorm2d"
    for (name, p), q in zip(teach.named_parameters(), planned.parameters()):
        if name in noise:
            assert np.abs(p.data).max() < 1e-4 and np.abs(q.data).max() < 1e-4, name
        else:
            assert_close(p.data, q.data, 1e-4, name)
    for (name, a), b in zip(teach.named_buffers(), planned.buffers()):
        assert_close(a, b, 1e-4, name)


@pytest.mark.parametrize("model_name", sorted(MODELS))
def test_planned_forward_is_the_models_evaluation_forward(model_name):
    teach, planned, _, _, step = run_both(model_name, "momentum", "float64")
    x, _ = next(batches(MODELS[model_name][1], "float64", sizes=(6,)))
    out = step.forward(x)  # running statistics, not the batch's
    assert planned.training
    np.testing.assert_allclose(out, teach.eval()(x), rtol=1e-10, atol=1e-12)


@st.composite
def conv_cases(draw):
    kh, kw, s, p, d = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2)),
                       draw(st.integers(0, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, d * (kh - 1) + 1 - 2 * p), 7))
    w = draw(st.integers(max(1, d * (kw - 1) + 1 - 2 * p), 7))
    return draw(st.integers(1, 3)), draw(st.integers(1, 3)), (kh, kw), s, p, d, h, w, draw(st.booleans())


def kernel_against_layer(layer, x, need_dx=True):
    """The kernel's output and gradients against the layer's own, on the same input and dout."""
    expected = layer(x)
    dout = np.random.default_rng(1).standard_normal(expected.shape)
    layer.zero_grad()
    dx = layer.backward(dout)
    grads = [p.grad.copy() for p in layer.parameters()]
    kernel, ws = kernel_for(layer), Workspace()
    assert not isinstance(kernel, OwnMethods)
    for p in layer.parameters():
        p.grad[...] = np.nan  # the kernel overwrites .grad
    for _ in range(2):  # twice: the second step runs on reused buffers
        out = kernel.forward(x, ws)
        got_dx = kernel.backward(dout, ws, need_dx)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    for p, g in zip(layer.parameters(), grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12, atol=1e-12)
    if need_dx:
        np.testing.assert_allclose(got_dx, dx, rtol=1e-12, atol=1e-12)
    else:
        assert got_dx is None


@settings(max_examples=30, deadline=None)
@given(conv_cases())
def test_the_conv_kernel_computes_the_layers_equations(case):
    c, f, kernel, s, p, d, h, w, channels_last = case
    layer = Conv2d(c, f, kernel, stride=s, padding=p, dilation=d, rng=0, dtype="float64")
    x = np.random.default_rng(0).standard_normal((2, h, w, c)).transpose(0, 3, 1, 2)
    kernel_against_layer(layer, x if channels_last else x.copy(), need_dx=channels_last)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([MaxPool2d, AvgPool2d]), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(3, 7), st.integers(3, 7), st.integers(0, 3))
def test_the_pool_kernels_compute_the_layers_equations(pool, kh, kw, s, h, w, levels):
    """``levels`` > 0 draws pixels from that few values, so windows hold tied maxima."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, levels, (2, 3, h, w)).astype(float) if levels else rng.standard_normal((2, 3, h, w))
    kernel_against_layer(pool((kh, kw), stride=s, dtype="float64"), x)


def test_max_pool_ties_go_to_the_first_maximum_in_row_major_order():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 1.0  # two maxima in the first window: (0, 1) comes first
    kernel, ws = kernel_for(MaxPool2d(2, dtype="float64")), Workspace()
    kernel.forward(x, ws)
    dx = kernel.backward(np.ones((1, 1, 2, 2)), ws, True)[0, 0]
    assert dx[0, 1] == 1 and dx[1, 1] == 0 and dx[0, 0] == 0  # an all-zero window: its first pixel
    assert dx[0, 2] == 1 and dx[2, 0] == 1 and dx[2, 2] == 1 and dx.sum() == 4


@pytest.mark.parametrize("layer", [BatchNorm2d(3, dtype="float64"), GlobalAvgPool2d(dtype="float64"),
                                   Flatten()])
def test_the_other_image_kernels_compute_the_layers_equations(layer):
    x = np.random.default_rng(0).standard_normal((3, 5, 4, 3)).transpose(0, 3, 1, 2)  # channels last
    kernel_against_layer(layer, x)
    kernel_against_layer(layer, x.copy())


def test_bad_images_get_the_layers_own_errors():
    model = small_cnn("float32")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"Reshape\(\(1, 8, 8\)\)\.forward: expected input \(N, 64\)"):
        step(np.zeros((2, 63)), np.zeros(2, int))
    conv = Conv2d(1, 2, 5, dtype="float64")
    with pytest.raises(ValueError, match=r"Conv2d\(1 → 2, 5×5\)\.forward: a 5×5 window does not fit"):
        kernel_for(conv).forward(np.zeros((2, 1, 4, 6)), Workspace())
    with pytest.raises(ValueError, match=r"expected input \(N, 1, H, W\), got \(2, 3, 6, 6\)"):
        kernel_for(conv).forward(np.zeros((2, 3, 6, 6)), Workspace())


def step_peak_bytes(n: int) -> int:
    """The most a steady-state planned step of a small CNN on n images holds at once, beyond
    what was there before it (tracemalloc, as needle's tests count live tensors)."""
    model = cnn(12, C, channels=(4, 8), hidden=16, rng=0)
    step = plan(model, SoftmaxCrossEntropy(), OPTIMIZERS["adam"](model.parameters()))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, 144)).astype(np.float32), rng.integers(0, C, n)
    return steady_peak_bytes(lambda: step(x, y), warmup=3, steps=3)


def test_steady_state_planned_cnn_step_allocates_no_batch_sized_array():
    """After the first steps every intermediate (im2col columns, padded images, pooling
    winners) is reused. What a step still allocates does not grow with the batch: numpy's
    fixed-size buffers (8192 elements, for a bool × float32 product or strided operands) and
    the loss's (N,)-sized index arrays."""
    small, large = step_peak_bytes(128), step_peak_bytes(1024)
    one_image_batch = 1024 * 4 * 12 * 12 * 4  # the first conv's output at n = 1024, float32
    assert large < one_image_batch / 8, f"a planned step allocated up to {large} bytes"
    assert large < small + 16 * 1024, f"what a step allocates grows with the batch: {small} → {large} bytes"


def test_relu_keeps_a_channels_last_layout_and_plain_arrays_as_before():
    step_ws = Workspace()
    relu = kernel_for(ReLU())
    image = np.random.default_rng(0).standard_normal((2, 4, 5, 3)).transpose(0, 3, 1, 2)
    out = relu.forward(image, step_ws)
    assert out.transpose(0, 2, 3, 1).flags.c_contiguous and np.array_equal(out, np.maximum(image, 0))
    rows = relu.forward(np.arange(-3.0, 3.0).reshape(2, 3), step_ws)
    assert rows.flags.c_contiguous and np.array_equal(rows, [[0, 0, 0], [0, 1, 2]])
