"""The transformer's planned kernels (attention, LayerNorm, GELU, Softmax, the token layers,
Residual and Tokenwise opened up) are held to the teaching path: planned steps end at the
parameters, losses and optimizer state the plain loop reaches (float64 to 1e-10 relative,
float32 within rounding), with a changing batch size, causal and not, and the whole vit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from plan_helpers import steady_peak_bytes

from minidl import SGD, Adam, Dense, Dropout, ReLU, Sequential, SoftmaxCrossEntropy
from minidl.nn.layers import (
    GELU,
    LayerNorm,
    MeanOverTokens,
    MultiHeadAttention,
    PatchEmbedding,
    PositionalEmbedding,
    Softmax,
)
from minidl.nn.models import transformer_block, vit
from minidl.nn.residual import Residual
from minidl.nn.tokenwise import Tokenwise
from minidl.plan import plan
from minidl.plan.kernels import OwnMethods, kernel_for
from minidl.plan.kernels.containers import ResidualKernel
from minidl.plan.kernels.gelu import normal_cdf_float32
from minidl.plan.workspace import Workspace

T, E, C = 5, 8, 3


def tokens_head(dt):
    """(N, T, E) tokens → (N, C) logits."""
    return [LayerNorm(E, dtype=dt), MeanOverTokens(dtype=dt), Dense(E, C, rng=9, dtype=dt)]


def blocks(dt, causal=False, approximate="none"):
    """Dense lifts the data to tokens, then two transformer blocks."""
    layers = [Dense(E, E, rng=1, dtype=dt)]
    for seed in (2, 3):
        layers += transformer_block(E, 2, 12, causal=causal, rng=seed, dtype=dt)
    if approximate == "tanh":  # the tanh form of GELU in the blocks' MLPs
        for block in layers[2::2]:
            block.module.layers[1].module.layers[1] = GELU("tanh", dtype=dt)
    return Sequential(*layers, *tokens_head(dt))


def small_vit(dt):
    return vit(image_size=8, patch_size=4, num_classes=C, embed_dim=E, depth=2, num_heads=2,
               mlp_dim=12, rng=0, dtype=dt)


def softmax_inside(dt):
    """A Softmax layer between two Dense layers, and a Residual around a plain Sequential
    of row layers (Tokenwise around an MLP), then one around Dropout (the same masks drawn)."""
    return Sequential(Dense(E, E, rng=1, dtype=dt), Residual(Tokenwise(Sequential(
        Dense(E, 6, rng=2, dtype=dt), Softmax(dtype=dt), Dense(6, E, rng=3, dtype=dt)))),
        Residual(Sequential(Dense(E, E, rng=4, dtype=dt), ReLU(), Dropout(0.3, rng=6))),
        PositionalEmbedding(T, E, rng=5, dtype=dt), *tokens_head(dt))


def one_head_one_token(dt):
    return Sequential(Dense(E, E, rng=1, dtype=dt), Residual(MultiHeadAttention(E, 1, rng=2, dtype=dt)),
                      *tokens_head(dt))


def patches_after_dense(dt):
    """PatchEmbedding that is not the first layer: its dX is needed."""
    return Sequential(Dense(64, 64, rng=1, dtype=dt), PatchEmbedding(8, 4, E, rng=2, dtype=dt),
                      PositionalEmbedding(4, E, rng=3, dtype=dt), *tokens_head(dt))


MODELS = {"blocks": blocks, "patches-after-dense": patches_after_dense,
          "causal": lambda dt: blocks(dt, causal=True),
          "tanh-gelu": lambda dt: blocks(dt, approximate="tanh"), "vit": small_vit,
          "softmax-residual-mlp": softmax_inside, "one-head": one_head_one_token}
OPTIMIZERS = {"momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9),
              "adam": lambda ps: Adam(ps, lr=1e-2, eps=1e-3)}


def batches(model_name, dtype, sizes=(6, 6, 3, 6)):
    """A changing batch size (a smaller one mid-way, as the last batch of an epoch)."""
    rng = np.random.default_rng(7)
    for n in sizes:
        t = 1 if model_name == "one-head" else T
        shape = (n, 64) if model_name in ("vit", "patches-after-dense") else (n, t, E)
        yield rng.standard_normal(shape).astype(dtype), rng.integers(0, C, n)


def teaching_step(model, loss_fn, opt, x, y):
    opt.zero_grad()
    model.zero_grad()
    loss = loss_fn(model(x), y)
    model.backward(loss_fn.backward())
    opt.step()
    return loss


def assert_close(a, b, rtol, what):
    scale = max(float(np.max(np.abs(a))), 1e-4 if rtol < 1e-6 else 1e-2)
    err = float(np.max(np.abs(np.asarray(a, np.float64) - b))) / scale
    assert err <= rtol, f"{what}: relative difference {err:.3g} > {rtol:g}"


def run_both(model_name, opt_name, dtype):
    teach, planned = MODELS[model_name](dtype), MODELS[model_name](dtype)
    opt_t, opt_p = OPTIMIZERS[opt_name](teach.parameters()), OPTIMIZERS[opt_name](planned.parameters())
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    for x, y in batches(model_name, dtype):
        expected = teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        assert step(x, y) == pytest.approx(expected, rel=1e-10 if dtype == "float64" else 1e-4)
    rtol = 1e-10 if dtype == "float64" else 2e-4
    for (name, p), q in zip(teach.named_parameters(), planned.parameters(), strict=True):
        assert_close(p.data, q.data, rtol, name)
    for key, arrays in opt_t.state_dict()["state"].items():
        for i, (a, b) in enumerate(zip(arrays, opt_p.state_dict()["state"][key], strict=True)):
            assert_close(a, b, rtol, f"{key}[{i}]")
    return step


def all_kernels(kernels):
    """The kernels and, inside each container kernel, its chain's, recursively."""
    for kernel in kernels:
        yield kernel
        if hasattr(kernel, "chain"):
            yield from all_kernels(kernel.chain.kernels)


@pytest.mark.parametrize("model_name", sorted(MODELS))
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
def test_planned_transformer_steps_end_where_the_teaching_loop_ends_float64(model_name, opt_name):
    step = run_both(model_name, opt_name, "float64")
    assert not any(isinstance(k, OwnMethods) for k in all_kernels(step.kernels))


@given(n=st.integers(1, 3), t=st.integers(1, 6), heads=st.integers(1, 3), d=st.integers(1, 4),
       causal=st.booleans(), seed=st.integers(0, 2**16))
def test_the_attention_kernel_computes_the_layers_output_and_gradients(n, t, heads, d, causal, seed):
    """Output, ∂L/∂X and every parameter gradient of one planned forward and backward against
    the layer's own, float64, over drawn shapes (T = 1 and one head included)."""
    layer = MultiHeadAttention(heads * d, heads, causal=causal, rng=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    x, dy = rng.standard_normal((2, n, t, heads * d))
    kernel, ws = kernel_for(layer), Workspace()
    np.testing.assert_allclose(kernel.forward(x, ws), layer(x), rtol=1e-12, atol=1e-13)
    dx = kernel.backward(dy, ws, need_dx=True).copy()
    planned_grads = [p.grad.copy() for p in layer.parameters()]  # the kernel overwrites .grad
    layer.zero_grad()
    np.testing.assert_allclose(dx, layer.backward(dy), rtol=1e-12, atol=1e-13)
    for planned, own in zip(planned_grads, (p.grad for p in layer.parameters()), strict=True):
        np.testing.assert_allclose(planned, own, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("model_name", ["blocks", "causal", "vit"])
def test_planned_transformer_steps_agree_within_rounding_float32(model_name):
    run_both(model_name, "adam", "float32")


def test_residual_and_tokenwise_are_opened_up_to_planned_kernels():
    step = plan(blocks("float64"), SoftmaxCrossEntropy(), SGD(blocks("float64").parameters(), lr=0.1))
    residuals = [k for k in step.kernels if isinstance(k, ResidualKernel)]
    assert len(residuals) == 4
    inner = [type(k).__name__ for r in residuals for k in r.chain.kernels]
    assert inner[:2] == ["LayerNormKernel", "AttentionKernel"]
    mlp = residuals[1].chain.kernels[1].chain.kernels
    assert [type(k).__name__ for k in mlp] == ["DenseKernel", "GELUKernel", "DenseKernel"]


def test_a_residual_around_nothing_runs_its_own_methods():
    model = Sequential(Dense(E, E, rng=0), Residual(Sequential()), *tokens_head("float32"))
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    assert isinstance(step.kernels[1], OwnMethods)
    x, y = next(batches("blocks", "float32"))
    assert np.isfinite(step(x, y))


def test_a_layer_inside_a_residual_that_shares_a_parameter_runs_its_own_methods():
    def build():
        first, second = Dense(E, E, rng=0, dtype="float64"), Dense(E, E, rng=1, dtype="float64")
        second.W = first.parameters()[0]  # tied inside one residual
        inner = Sequential(first, GELU(dtype="float64"), second)
        return Sequential(Dense(E, E, rng=2, dtype="float64"), Residual(inner), *tokens_head("float64"))
    teach, planned = build(), build()
    opt_t, opt_p = SGD(teach.parameters(), lr=0.1), SGD(planned.parameters(), lr=0.1)
    step = plan(planned, SoftmaxCrossEntropy(), opt_p)
    kinds = [type(k).__name__ for k in step.kernels[1].chain.kernels]
    assert kinds == ["OwnMethods", "GELUKernel", "OwnMethods"]
    for x, y in batches("blocks", "float64"):
        teaching_step(teach, SoftmaxCrossEntropy(), opt_t, x, y)
        step(x, y)
    for p, q in zip(teach.parameters(), planned.parameters()):
        assert_close(p.data, q.data, 1e-10, "parameter")


@pytest.mark.parametrize("model_name", ["vit", "softmax-residual-mlp"])
def test_planned_forward_is_the_models_evaluation_output(model_name):
    model = MODELS[model_name]("float64")
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    x, y = next(batches(model_name, "float64"))
    step(x, y)
    out = step.forward(x)  # Dropout inside a Residual too is the identity in evaluation mode
    assert model.training
    np.testing.assert_allclose(out, model.eval()(x), rtol=1e-12, atol=1e-14)


def test_planned_layers_give_the_layers_own_errors():
    model = Sequential(LayerNorm(E), MultiHeadAttention(E, 2, rng=0), *tokens_head("float32"))
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"LayerNorm\(8\)\.forward: expected input of shape"):
        step(np.zeros((2, T, E + 1), np.float32), np.zeros(2, int))
    model = Sequential(PatchEmbedding(8, 4, E, rng=0), PositionalEmbedding(4, E, rng=0),
                       *tokens_head("float32"))
    step = plan(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"PatchEmbedding.*\.forward: expected input of shape \(N, 64\)"):
        step(np.zeros((2, 63), np.float32), np.zeros(2, int))


def test_the_float32_normal_cdf_keeps_float32_precision_in_both_tails():
    """Φ against math.erfc in float64 on the float32 grid: relative error within a few
    float32 ulps for x ≥ −5 (where GELU is not yet 0 to float32), and Φ(0) = ½ exactly."""
    import math

    x = np.linspace(-5, 5, 2001).astype(np.float32)
    out = np.empty_like(x)
    normal_cdf_float32(x, out, np.empty_like(x), np.empty_like(x))
    exact = np.array([0.5 * math.erfc(-float(v) / math.sqrt(2)) for v in x])
    assert np.max(np.abs(out - exact) / exact) < 3e-6
    assert np.max(np.abs(out - exact)[x > -2] / exact[x > -2]) < 1e-6  # 8 float32 ulps
    assert out[1000] == 0.5


def test_steady_state_planned_vit_steps_allocate_no_batch_sized_array():
    """After the first steps every intermediate of the transformer is reused: the peak a
    step allocates (tracemalloc) stays far below one batch-sized activation."""
    model = vit(image_size=16, patch_size=4, num_classes=C, embed_dim=32, depth=2, num_heads=4,
                mlp_dim=64, rng=0)
    step = plan(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-3))
    rng = np.random.default_rng(0)
    n = 256
    x, y = rng.random((n, 256), dtype=np.float32), rng.integers(0, C, n)
    peak = steady_peak_bytes(lambda: step(x, y), warmup=2, steps=2)
    one_activation = n * 16 * 32 * 4  # (N, T, E) float32
    assert peak < one_activation / 8, f"a planned step allocated up to {peak} bytes"
