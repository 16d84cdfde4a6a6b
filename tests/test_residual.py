"""Residual(module): the sum rule around any layer, and a module with a child in save/load,
parameters(), Sequential and a plan."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import (
    GELU,
    SGD,
    Dense,
    LayerNorm,
    MSELoss,
    MultiHeadAttention,
    ReLU,
    Residual,
    Sequential,
    SoftmaxCrossEntropy,
    Tanh,
    load,
    save,
)
from minidl.gradcheck import check_module, cross_check
from minidl.nn.layers import PatchEmbedding
from minidl.nn.memory import memory_report
from minidl.plan import plan

INNER = {
    "Dense": lambda d, seed: Dense(d, d, rng=seed, dtype="float64"),
    "Tanh": lambda d, seed: Tanh(),
    "GELU": lambda d, seed: GELU(dtype="float64"),
    "LayerNorm": lambda d, seed: LayerNorm(d, dtype="float64"),
    "MLP": lambda d, seed: Sequential(LayerNorm(d, dtype="float64"),
                                      Dense(d, 2 * d, rng=seed, dtype="float64"), GELU(dtype="float64"),
                                      Dense(2 * d, d, rng=seed + 1, dtype="float64")),
}


@pytest.mark.parametrize("name", sorted(INNER))
@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4), d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_residual_around_any_layer_matches_finite_differences(name, n, d, seed):
    x = np.random.default_rng(seed).standard_normal((n, d))
    check_module(Residual(INNER[name](d, seed)), x, rng=seed).raise_if_failed()


def test_residual_is_the_sum_of_the_two_paths():
    inner = Dense(3, 3, rng=0, dtype="float64")
    block = Residual(inner)
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(block(x), x + x @ inner.W + inner.b)
    dout = np.ones((4, 3))
    np.testing.assert_allclose(block.backward(dout), dout + dout @ inner.W.T)


def _block(e=8, heads=2, seed=0):
    """One transformer block on (N, T, E): attention, then a per-token MLP of LayerNorm/GELU."""
    return Sequential(
        Residual(Sequential(LayerNorm(e, dtype="float64"),
                            MultiHeadAttention(e, heads, causal=True, rng=seed, dtype="float64"))),
        Residual(Sequential(LayerNorm(e, dtype="float64"), GELU(dtype="float64"))),
    )


def test_a_transformer_block_matches_the_engine_and_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 8))
    cross_check(_block(), x, rng.standard_normal(x.shape), MSELoss()).raise_if_failed()
    check_module(_block(e=4), x[..., :4], rng=0).raise_if_failed()


def test_residual_parameters_and_names_come_from_its_module():
    block = _block()
    names = [name for name, _ in block.named_parameters()]
    assert names[:3] == ["0.module.0.gamma", "0.module.0.beta", "0.module.1.Wq"]
    assert len(block.parameters()) == 2 + 8 + 2


def test_residual_saves_and_loads(tmp_path):
    block = _block()
    x = np.random.default_rng(0).standard_normal((2, 4, 8))
    save(block, tmp_path / "block.npz")
    again = load(tmp_path / "block.npz")
    assert isinstance(again[0], Residual) and again[0].module[1].causal
    np.testing.assert_array_equal(again(x), block(x))


def test_residual_refuses_a_module_that_changes_the_shape():
    with pytest.raises(ValueError, match="same shape in and out"):
        Residual(Dense(3, 2, rng=0))(np.ones((1, 3)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_planned_steps_match_the_teaching_path_with_residuals(dtype):
    def model():
        return Sequential(Dense(5, 6, rng=0, dtype=dtype),
                          Residual(Sequential(LayerNorm(6, dtype=dtype), Dense(6, 6, rng=1, dtype=dtype),
                                              GELU(dtype=dtype), Dense(6, 6, rng=2, dtype=dtype))),
                          ReLU(), Dense(6, 3, rng=3, dtype=dtype))

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)).astype(dtype), rng.integers(0, 3, 8)
    planned, teaching = model(), model()
    step = plan(planned, SoftmaxCrossEntropy(), SGD(planned.parameters(), lr=0.1))
    loss_fn, opt = SoftmaxCrossEntropy(), SGD(teaching.parameters(), lr=0.1)
    for _ in range(4):
        planned_loss = step(x, y)
        teaching.zero_grad()
        loss = loss_fn(teaching(x), y)
        teaching.backward(loss_fn.backward())
        opt.step()
        np.testing.assert_allclose(planned_loss, loss, rtol=1e-12 if dtype == "float64" else 1e-5)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for p, q in zip(planned.parameters(), teaching.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=tol, atol=tol)



def test_recomputed_transformer_blocks_give_bit_identical_gradients_and_cache_less():
    def model(segments):
        blocks = []
        for i in range(4):
            blocks += [Residual(Sequential(LayerNorm(8, dtype="float64"),
                                           MultiHeadAttention(8, 2, causal=True, rng=i, dtype="float64"))),
                       Residual(Sequential(LayerNorm(8, dtype="float64"), GELU(dtype="float64")))]
        return Sequential(PatchEmbedding(4, 2, 8, rng=0, dtype="float64"),
                          Sequential(*blocks, recompute_segments=segments))

    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((3, 16)), rng.standard_normal((3, 4, 8))
    grads, cached = [], []
    for segments in (None, 2):
        net = model(segments)
        net(x)
        dx = net.backward(dout)
        grads.append([dx] + [p.grad.copy() for p in net.parameters()])
        cached.append(memory_report(net, 16, input_dim=16).cached_bytes)
    for plain, recomputed in zip(*grads):
        np.testing.assert_array_equal(plain, recomputed)
    assert cached[1] < cached[0] / 3


def test_residual_float32_in_gives_float32_out_even_for_a_float64_dout():
    block = Residual(Sequential(LayerNorm(3), GELU()))
    out = block(np.ones((2, 3), dtype=np.float32) * np.arange(3))
    assert out.dtype == np.float32 and block.backward(np.ones((2, 3))).dtype == np.float32
    with pytest.raises(ValueError, match=r"expected dout of shape \(2, 3\)"):
        block.backward(np.ones((3, 2)))
