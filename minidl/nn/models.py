"""Ready-made architectures built from the layers."""

from __future__ import annotations

from .._validate import as_generator
from .containers import Sequential
from .layers import (
    GELU,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    LayerNorm,
    MaxPool2d,
    MeanOverTokens,
    MultiHeadAttention,
    PatchEmbedding,
    PositionalEmbedding,
    ReLU,
    Reshape,
    Sigmoid,
    Tanh,
)
from .residual import Residual
from .tokenwise import Tokenwise

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
# He initialisation suits ReLU; Xavier suits the symmetric saturating activations.
DEFAULT_INIT = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


def mlp(sizes, activation: str = "relu", *, rng=None, dtype="float32", init: str | None = None,
        dropout: float = 0.0, batchnorm: bool = False) -> Sequential:
    """A multi-layer perceptron ``Dense → [BatchNorm1d] → φ → [Dropout] → … → Dense``.

    The last Dense layer is followed by nothing (it gives the logits).

    Args:
        sizes: layer widths from input to output, e.g. ``[784, 256, 128, 10]``.
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        rng: seed or Generator; each layer draws from it in turn.
        dtype: parameter dtype.
        init: weight initialiser (default: He for ReLU, Xavier otherwise).
        dropout: drop probability of a ``Dropout`` after each hidden activation (0: none).
        batchnorm: put a ``BatchNorm1d`` between each hidden Dense layer and its activation.

    Example:
        >>> mlp([784, 256, 128, 10], rng=0)[0]
        Dense(784 → 256)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"mlp: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least an input and an output size, got {sizes}")
    rng = as_generator(rng)
    init = init or DEFAULT_INIT[activation]
    dense = [Dense(d_in, d_out, rng=rng, dtype=dtype, init=init)
             for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True)]
    layers = []
    for layer in dense[:-1]:
        layers.append(layer)
        if batchnorm:
            layers.append(BatchNorm1d(layer.out_features, dtype=dtype))
        layers.append(ACTIVATIONS[activation]())
        if dropout:
            # Seeded after every weight draw, so adding dropout leaves the initial weights alone.
            layers.append(Dropout(dropout, rng=rng))
    layers.append(dense[-1])
    return Sequential(*layers)


def transformer_block(embed_dim: int, num_heads: int, mlp_dim: int, *, causal: bool = False,
                      rng=None, dtype="float32", tokenwise: bool = True) -> list:
    """One pre-norm transformer block as two residuals (docs/derivations/attention.md §6):
    ``X + MHA(LN(X))`` then ``X + MLP(LN(X))`` with MLP = Dense → GELU → Dense per token.

    ``tokenwise=False`` gives the MLP as plain layers, ``Residual(Sequential(LayerNorm, Dense,
    GELU, Dense))``: Dense maps the last axis, so it runs on (N, T, E) tokens as it is (and
    exports as MatMul + Add). ``tokenwise=True`` wraps the MLP in ``Tokenwise`` (N·T rows), the
    form earlier models were saved in; the weights drawn are the same either way."""
    rng = as_generator(rng)
    mlp_layers = Sequential(Dense(embed_dim, mlp_dim, rng=rng, dtype=dtype, init="xavier"), GELU(dtype=dtype),
                            Dense(mlp_dim, embed_dim, rng=rng, dtype=dtype, init="xavier"))
    attention = MultiHeadAttention(embed_dim, num_heads, causal=causal, rng=rng, dtype=dtype)
    mlp = [Tokenwise(mlp_layers)] if tokenwise else list(mlp_layers)
    return [Residual(Sequential(LayerNorm(embed_dim, dtype=dtype), attention)),
            Residual(Sequential(LayerNorm(embed_dim, dtype=dtype), *mlp))]


def vit(image_size: int = 28, patch_size: int = 7, num_classes: int = 10, *, embed_dim: int = 64,
        depth: int = 2, num_heads: int = 4, mlp_dim: int = 128, in_channels: int = 1, rng=None,
        dtype="float32") -> Sequential:
    """A small vision transformer on flat image rows (Dosovitskiy et al., 2021, without a class token).

    ``PatchEmbedding → PositionalEmbedding → depth × transformer_block → LayerNorm →
    MeanOverTokens → Dense``: (N, C·H·W) → (N, num_classes) logits.

    Example:
        >>> vit(rng=0)(np.zeros((2, 784))).shape
        (2, 10)
    """
    rng = as_generator(rng)
    patches = PatchEmbedding(image_size, patch_size, embed_dim, in_channels=in_channels, rng=rng, dtype=dtype)
    layers = [patches, PositionalEmbedding(patches.num_tokens, embed_dim, rng=rng, dtype=dtype)]
    for _ in range(depth):
        layers += transformer_block(embed_dim, num_heads, mlp_dim, rng=rng, dtype=dtype, tokenwise=False)
    layers += [LayerNorm(embed_dim, dtype=dtype), MeanOverTokens(dtype=dtype),
               Dense(embed_dim, num_classes, rng=rng, dtype=dtype, init="xavier")]
    return Sequential(*layers)


def cnn(image_size: int = 28, num_classes: int = 10, *, channels=(16, 32), hidden: int = 128,
        in_channels: int = 1, dropout: float = 0.0, rng=None, dtype="float32") -> Sequential:
    """A small convolutional network on flat image rows (LeNet-like, with BatchNorm2d).

    ``Reshape → [Conv2d 3×3 (padding 1) → BatchNorm2d → MaxPool2d 2×2 → ReLU] per entry of
    channels → Flatten → Dense(hidden) → ReLU → [Dropout] → Dense(num_classes)``:
    (N, C·S·S) → logits; ``dropout`` is the drop probability before the last layer (0: none).
    The pool comes before the ReLU: max over a window commutes with the (monotone) ReLU, so
    the function and its gradients are those of the usual ReLU → pool order, with the ReLU
    on a quarter of the pixels.

    Example:
        >>> cnn(rng=0)(np.zeros((2, 784))).shape
        (2, 10)
    """
    rng = as_generator(rng)
    layers, c, side = [Reshape((in_channels, image_size, image_size))], in_channels, image_size
    for f in channels:
        layers += [Conv2d(c, f, 3, padding=1, rng=rng, dtype=dtype), BatchNorm2d(f, dtype=dtype),
                   MaxPool2d(2, dtype=dtype), ReLU()]
        c, side = f, side // 2
    layers += [Flatten(), Dense(c * side * side, hidden, rng=rng, dtype=dtype), ReLU()]
    last = Dense(hidden, num_classes, rng=rng, dtype=dtype, init="xavier")
    if dropout:
        # Seeded after every weight draw, so adding dropout leaves the initial weights alone.
        layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers, last)


def _sequence_classifier(cell, steps: int, features: int, hidden: int, num_classes: int,
                         rng, dtype) -> Sequential:
    """Reshape((T, D)) → cell(D → H, last state) → Dense(H → C), on flat (N, T·D) rows."""
    from .layers import Reshape  # the shape layers register with the convolutional ones
    rng = as_generator(rng)
    return Sequential(Reshape((steps, features)),
                      cell(features, hidden, return_sequences=False, rng=rng, dtype=dtype),
                      Dense(hidden, num_classes, rng=rng, dtype=dtype, init="xavier"))


def lstm(steps: int = 28, features: int = 28, hidden: int = 128, num_classes: int = 10, *,
         rng=None, dtype="float32") -> Sequential:
    """Flat rows read as T steps of D features (an image row by row), an LSTM's last state,
    then a Dense classifier: (N, T·D) → (N, num_classes).

    Example:
        >>> lstm(rng=0)(np.zeros((2, 784))).shape
        (2, 10)
    """
    from .layers import LSTM
    return _sequence_classifier(LSTM, steps, features, hidden, num_classes, rng, dtype)


def gru(steps: int = 28, features: int = 28, hidden: int = 128, num_classes: int = 10, *,
        rng=None, dtype="float32") -> Sequential:
    """As ``lstm`` with a GRU cell.

    Example:
        >>> gru(rng=0)(np.zeros((2, 784))).shape
        (2, 10)
    """
    from .layers import GRU
    return _sequence_classifier(GRU, steps, features, hidden, num_classes, rng, dtype)


def rnn(steps: int = 28, features: int = 28, hidden: int = 128, num_classes: int = 10, *,
        rng=None, dtype="float32") -> Sequential:
    """As ``lstm`` with a tanh RNN cell.

    Example:
        >>> rnn(rng=0)(np.zeros((2, 784))).shape
        (2, 10)
    """
    from .layers import RNN
    return _sequence_classifier(RNN, steps, features, hidden, num_classes, rng, dtype)
