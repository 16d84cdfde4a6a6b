"""Ready-made architectures built from the layers."""

from __future__ import annotations

from ._validate import as_generator
from .containers import Sequential
from .layers import Dense, ReLU, Sigmoid, Tanh

ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}
# He initialisation suits ReLU; Xavier suits the symmetric saturating activations.
DEFAULT_INIT = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier"}


def mlp(sizes, activation: str = "relu", *, rng=None, dtype="float32", init: str | None = None) -> Sequential:
    """A multi-layer perceptron ``Dense → φ → … → Dense`` (no activation after the last layer).

    Args:
        sizes: layer widths from input to output, e.g. ``[784, 256, 128, 10]``.
        activation: ``"relu"``, ``"tanh"`` or ``"sigmoid"``.
        rng: seed or Generator; each layer draws from it in turn.
        dtype: parameter dtype.
        init: weight initialiser (default: He for ReLU, Xavier otherwise).

    Example:
        >>> mlp([784, 256, 128, 10], rng=0)[0]
        Dense(784 → 256)
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"mlp: unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least an input and an output size, got {sizes}")
    rng = as_generator(rng)
    init = init or DEFAULT_INIT[activation]
    layers = []
    for i, (d_in, d_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(Dense(d_in, d_out, rng=rng, dtype=dtype, init=init))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return Sequential(*layers)
