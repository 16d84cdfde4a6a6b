"""Embedding: gather forward, scatter-add backward (repeated ids accumulate)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minidl import Dense, Embedding, Sequential, load, save


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 4), t=st.integers(1, 5), v=st.integers(1, 4), e=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_embedding_gradient_matches_finite_differences(n, t, v, e, seed):
    rng = np.random.default_rng(seed)
    layer = Embedding(v, e, rng=seed, dtype="float64")
    ids = rng.integers(0, v, (n, t))  # with few ids most batches repeat some
    G = rng.standard_normal((n, t, e))
    layer(ids)
    layer.backward(G)
    numeric = np.zeros_like(layer.W)
    for idx in np.ndindex(layer.W.shape):
        old = layer.W[idx]
        layer.W[idx] = old + 1e-6
        plus = (layer(ids) * G).sum()
        layer.W[idx] = old - 1e-6
        minus = (layer(ids) * G).sum()
        layer.W[idx] = old
        numeric[idx] = (plus - minus) / 2e-6
    np.testing.assert_allclose(layer.dW, numeric, rtol=1e-7, atol=1e-9)


def test_repeated_ids_add_up_and_two_backwards_accumulate():
    layer = Embedding(4, 2, rng=0, dtype="float64")
    ids = np.array([[1, 1, 3]])
    layer(ids)
    G = np.array([[[1.0, 2.0], [10.0, 20.0], [5.0, 5.0]]])
    assert layer.backward(G) is None
    np.testing.assert_array_equal(layer.dW, [[0, 0], [11, 22], [0, 0], [5, 5]])
    layer.backward(G)
    np.testing.assert_array_equal(layer.dW, 2 * np.array([[0, 0], [11, 22], [0, 0], [5, 5]]))


def test_embedding_is_pytorchs_lookup():
    torch = pytest.importorskip("torch")  # a local comparison only, never needed in CI
    layer = Embedding(5, 3, rng=0, dtype="float64")
    ids = np.array([[0, 4, 4], [2, 1, 0]])
    twin = torch.nn.Embedding.from_pretrained(torch.tensor(layer.W), freeze=False)
    out = twin(torch.tensor(ids))
    G = np.random.default_rng(1).standard_normal((2, 3, 3))
    (out * torch.tensor(G)).sum().backward()
    np.testing.assert_array_equal(layer(ids), out.detach().numpy())
    layer.backward(G)
    np.testing.assert_allclose(layer.dW, twin.weight.grad.numpy(), rtol=1e-14)


def test_bad_ids_are_named():
    layer = Embedding(4, 2, rng=0)
    with pytest.raises(IndexError, match=r"Embedding\(4, 2\)\.forward: id 4 is out of range for 4"):
        layer(np.array([[0, 4]]))
    with pytest.raises(TypeError, match="expected integer ids, got dtype float64"):
        layer(np.zeros((1, 2)))


def test_embedding_saves_and_loads(tmp_path):
    model = Sequential(Embedding(6, 3, rng=0), Dense(3, 2, rng=1))
    ids = np.array([[0, 5, 2]])
    save(model, tmp_path / "e.npz")
    np.testing.assert_array_equal(load(tmp_path / "e.npz")(ids), model(ids))
    assert model(ids).dtype == np.float32
