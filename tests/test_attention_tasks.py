"""The transformer at work: a tiny attention model learns to sort, attention's cache grows as
T², checkpointed transformer blocks give bit-identical gradients, and the layer picture
draws each residual's skip connection around the shapes inside it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from minidl import Adam, Dense, Sequential, SoftmaxCrossEntropy
from minidl.nn.layers import Embedding, LayerNorm, MultiHeadAttention, PositionalEmbedding
from minidl.nn.memory import memory_report
from minidl.nn.models import transformer_block, vit
from minidl.plan import plan
from minidl.viz import model_to_dot

V, T, E = 6, 5, 16


def sorter(seed=0):
    """Ids (N, T) → per-position logits (N, T, V): one transformer block."""
    return Sequential(Embedding(V, E, rng=seed), PositionalEmbedding(T, E, rng=seed + 1),
                      *transformer_block(E, 2, 32, rng=seed + 2, tokenwise=False),
                      LayerNorm(E), Dense(E, V, rng=seed + 3))


def test_a_tiny_transformer_learns_to_sort_a_short_sequence():
    """Sorting needs every position to look at all the others. Chance is ln 6 ≈ 1.79 nats
    per token; 200 planned Adam steps of 64 sequences bring held-out loss far below it."""
    rng = np.random.default_rng(0)
    model = sorter()
    step = plan(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=3e-3))
    first = None
    for _ in range(200):
        x = rng.integers(0, V, (64, T))
        loss = step(x, np.sort(x, axis=1))
        first = loss if first is None else first
    x = rng.integers(0, V, (512, T))
    y = np.sort(x, axis=1)
    logits = step.forward(x)
    held_out = SoftmaxCrossEntropy()(logits, y)
    assert first > 1.5 and held_out < 0.2, (first, held_out)
    assert (logits.argmax(axis=-1) == y).all(axis=1).mean() > 0.8  # whole sequences sorted


@pytest.mark.parametrize("causal", [False, True])
def test_memory_report_shows_attentions_cache_growing_as_t_squared(causal):
    """MultiHeadAttention caches X, Q, K, V and merge(O) (N·T·E each) and the weights P
    (N·h·T·T): doubling T doubles the first five and quadruples P."""
    n, heads = 4, 2

    def attention_bytes(t):
        model = Sequential(LayerNorm(E), MultiHeadAttention(E, heads, causal=causal, rng=0))
        row = memory_report(model, n, input_dim=(t, E)).rows[1]
        assert row["name"].startswith("1 MultiHeadAttention")
        return row["cached_bytes"]

    def scores(t):
        return n * heads * t * t * 4  # float32

    for t in (8, 16):
        assert attention_bytes(t) == 5 * n * t * E * 4 + scores(t)
    assert attention_bytes(16) - 2 * attention_bytes(8) == scores(16) - 2 * scores(8) == 2 * scores(8)


def small_vit(recompute=None, dtype="float64"):
    model = vit(image_size=8, patch_size=4, num_classes=3, embed_dim=E, depth=3, num_heads=2,
                mlp_dim=24, rng=0, dtype=dtype)
    if recompute is None:
        return model
    return Sequential(*model.layers, recompute_segments=recompute)  # the same layers, checkpointed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("segments", [2, 4])
def test_checkpointed_transformer_blocks_give_bit_identical_gradients(dtype, segments):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 64)).astype(dtype), rng.integers(0, 3, 5)
    grads = []
    for model in (small_vit(dtype=dtype), small_vit(segments, dtype)):
        loss = SoftmaxCrossEntropy()
        loss(model(x), y)
        dx = model.backward(loss.backward())
        grads.append([p.grad.copy() for p in model.parameters()] + [dx])
    for plain, checkpointed in zip(*grads, strict=True):
        np.testing.assert_array_equal(checkpointed, plain)


def test_checkpointing_whole_blocks_keeps_less_for_backward():
    plain = memory_report(small_vit(dtype="float32"), 32, input_dim=64)
    checkpointed = memory_report(small_vit(4, "float32"), 32, input_dim=64)
    assert checkpointed.rows[-1]["name"] == "segment boundaries (recompute)"
    assert checkpointed.cached_bytes < plain.cached_bytes / 2


EDGE = re.compile(r"^\s*(\w+) -> (\w+)( \[style=dashed.*\])?;$")


def test_the_layer_picture_draws_each_residual_around_the_shapes_inside_it():
    """Each Residual(f) is drawn as f's boxes (with their own output shapes) ending in a '+'
    node that the residual's input also reaches, by a dashed skip edge."""
    model = vit(rng=0)
    text = model_to_dot(model, input_dim=784)
    edges = [m.groups() for line in text.splitlines() if (m := EDGE.match(line))]
    skips = [(a, b) for a, b, dashed in edges if dashed]
    chain = [(a, b) for a, b, dashed in edges if not dashed]
    assert len(skips) == 4 and all(b.startswith("add") for _, b in skips)
    # the first block: n1 (positional embedding) feeds LayerNorm n2 and skips to the '+' after n3
    assert ("n1", "n2") in chain and ("n3", "add0") in chain and skips[0] == ("n1", "add0")
    assert skips[1] == ("add0", "add1") and ("add0", "n4") in chain  # the next residual reads the sum
    labels = dict(re.findall(r'^\s*(n\d+) \[label="([^"]*)"', text, re.M))
    assert "MultiHeadAttention" in labels["n3"] and "out (N, 16, 64)" in labels["n3"]
    assert "GELU" in labels["n6"] and "out (N, 16, 128)" in labels["n6"]  # inside the MLP residual
    assert len({b for _, b in chain}) == len(chain)  # a chain plus skips: every node entered once


def test_the_matplotlib_layer_picture_draws_the_residuals_too(tmp_path):
    pytest.importorskip("matplotlib")
    from minidl.viz.graphs import residual_spans
    from minidl.viz.layer_plot import draw_layer_graph

    model = vit(image_size=8, patch_size=4, num_classes=3, embed_dim=8, depth=1, num_heads=2, mlp_dim=8)
    assert residual_spans(model) == [(2, 3), (4, 7)]  # leaf indices of each block's two residuals
    draw_layer_graph(model, tmp_path / "vit.png", input_dim=64)
    assert (tmp_path / "vit.png").stat().st_size > 10_000
