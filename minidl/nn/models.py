"""Ready-made architectures built from the layers."""

from __future__ import annotations

from .._validate import as_generator
from .containers import Sequential
from .layers import BatchNorm1d, Dense, Dropout, ReLU, Sigmoid, Tanh

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
