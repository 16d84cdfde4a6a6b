"""Patch embedding, positional embedding and the mean over tokens: finite differences, the
engine, and PyTorch's Conv2d for the patch cut."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import MSELoss
from minidl.gradcheck import check_module, cross_check
from minidl.nn.layers import MeanOverTokens, PatchEmbedding, PositionalEmbedding


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 3), grid=st.integers(1, 3), p=st.integers(1, 3), c=st.integers(1, 2),
       e=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_patch_embedding_matches_finite_differences_and_the_engine(n, grid, p, c, e, seed):
    layer = PatchEmbedding(grid * p, p, e, in_channels=c, rng=seed, dtype="float64")
    rng = np.random.default_rng(seed)
    layer.b = rng.standard_normal(e)
    x = rng.standard_normal((n, c * (grid * p) ** 2))
    check_module(layer, x, rng=seed).raise_if_failed()
    cross_check(layer, x, rng.standard_normal((n, grid * grid, e)), MSELoss()).raise_if_failed()


def test_patch_embedding_is_a_strided_conv2d_flattened_to_tokens():
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    layer = PatchEmbedding(8, 4, 5, in_channels=2, rng=0, dtype="float64")
    x = np.random.default_rng(1).standard_normal((3, 2 * 64))
    conv = torch.nn.Conv2d(2, 5, 4, stride=4, dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(layer.W.T.reshape(5, 2, 4, 4)))
        conv.bias.copy_(torch.tensor(layer.b))
    ref = conv(torch.tensor(x.reshape(3, 2, 8, 8))).flatten(2).transpose(1, 2)   # (N, T, E)
    np.testing.assert_allclose(layer(x), ref.detach().numpy(), atol=1e-13)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 3), t=st.integers(1, 4), e=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_positional_embedding_and_mean_over_tokens_match_finite_differences(n, t, e, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, t, e))
    check_module(PositionalEmbedding(t, e, rng=seed, dtype="float64"), x, rng=seed).raise_if_failed()
    check_module(MeanOverTokens(dtype="float64"), x, rng=seed).raise_if_failed()
    cross_check(PositionalEmbedding(t, e, rng=seed, dtype="float64"), x, np.zeros((n, t, e)),
                MSELoss()).raise_if_failed()
    cross_check(MeanOverTokens(dtype="float64"), x, np.zeros((n, e)), MSELoss()).raise_if_failed()


def test_token_layers_name_the_shapes_they_expected():
    with pytest.raises(ValueError, match=r"\(N, 784\).*\(2, 100\)"):
        PatchEmbedding(28, 7, 8)(np.ones((2, 100)))
    with pytest.raises(ValueError, match="patch_size must divide image_size"):
        PatchEmbedding(28, 5, 8)
    with pytest.raises(ValueError, match=r"\(N, 4, 3\)"):
        PositionalEmbedding(4, 3)(np.ones((2, 5, 3)))


def test_token_layers_keep_float32():
    x = np.ones((2, 16), dtype=np.float32)
    patch, pos, mean = PatchEmbedding(4, 2, 3, rng=0), PositionalEmbedding(4, 3, rng=0), MeanOverTokens()
    out = mean(pos(patch(x)))
    dx = patch.backward(pos.backward(mean.backward(np.ones_like(out))))
    assert out.dtype == dx.dtype == patch.dW.dtype == pos.dP.dtype == np.float32
