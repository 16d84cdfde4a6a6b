"""The recurrent layers and sequence models against the autodiff engine (``cross_check``),
and the engine's ``stack`` against central differences."""

import numpy as np
import pytest

from minidl import GRU, LSTM, RNN, Dense, Embedding, Sequential, SoftmaxCrossEntropy
from minidl.autodiff import Tensor
from minidl.autodiff.ops_sequence import stack
from minidl.gradcheck import cross_check, cross_check_loss

LAYERS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("sequences", [True, False])
def test_sequence_classifier_agrees_with_the_engine(name, sequences):
    rng = np.random.default_rng(0)
    model = Sequential(LAYERS[name](3, 5, return_sequences=sequences, rng=0, dtype="float64"),
                       Dense(5, 4, rng=1, dtype="float64"))
    x = rng.standard_normal((2, 4, 3))
    y = rng.integers(0, 4, (2, 4) if sequences else 2)
    cross_check(model, x, y, SoftmaxCrossEntropy()).raise_if_failed()


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_padded_sequence_model_agrees_with_the_engine(name):
    rng = np.random.default_rng(1)
    model = Sequential(LAYERS[name](3, 4, rng=1, dtype="float64"), Dense(4, 6, rng=2, dtype="float64"))
    x = rng.standard_normal((3, 5, 3))
    y = rng.integers(0, 6, (3, 5))
    y[:, -2:] = -100
    cross_check(model, x, y, SoftmaxCrossEntropy(ignore_index=-100)).raise_if_failed()


def test_embedding_agrees_with_the_engine_lookup():
    """cross_check feeds float inputs, so the integer-id layer is compared directly: the
    engine's getitem on W against the layer's scatter-add."""
    from minidl.gradcheck.engine_forms import Params, engine_forward
    rng = np.random.default_rng(4)
    layer = Embedding(5, 3, rng=0, dtype="float64")
    ids = np.array([[0, 4, 4, 1], [1, 1, 0, 2]])
    G = rng.standard_normal((2, 4, 3))
    W = Tensor(layer.W.copy(), requires_grad=True)
    out = engine_forward(layer, Tensor(ids.astype(np.float64)), Params({"W": W}))
    (out * Tensor(G)).sum().backward()
    np.testing.assert_array_equal(out.data, layer(ids))
    layer.backward(G)
    np.testing.assert_allclose(layer.dW, W.grad, rtol=1e-14)


def test_sequence_cross_entropy_agrees_with_the_engine():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, (3, 5))
    y[0, :2] = 7
    cross_check_loss(SoftmaxCrossEntropy(ignore_index=7), rng.standard_normal((3, 5, 4)), y).raise_if_failed()


def test_stack_matches_central_differences():
    rng = np.random.default_rng(3)
    parts = [rng.standard_normal((2, 3)) for _ in range(4)]
    G = rng.standard_normal((2, 4, 3)) * np.arange(1, 5)[None, :, None]  # each step weighted differently

    def f(arrays):
        return float((np.stack([a * a for a in arrays], axis=1) * G).sum())

    tensors = [Tensor(p, requires_grad=True) for p in parts]
    (stack([t * t for t in tensors], axis=1) * Tensor(G)).sum().backward()
    for k, part in enumerate(parts):
        numeric = np.zeros_like(part)
        for idx in np.ndindex(part.shape):
            plus = [p.copy() for p in parts]
            minus = [p.copy() for p in parts]
            plus[k][idx] += 1e-6
            minus[k][idx] -= 1e-6
            numeric[idx] = (f(plus) - f(minus)) / 2e-6
        np.testing.assert_allclose(tensors[k].grad, numeric, rtol=1e-7, atol=1e-9)


def test_stack_refuses_unequal_shapes():
    with pytest.raises(ValueError, match="same shape"):
        stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
