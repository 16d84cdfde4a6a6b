"""Weight initialisers: each draws an array of a given shape from an explicit ``rng``.

For a weight of shape ``(fan_in, fan_out)``:

- He (Kaiming) keeps the variance of ReLU activations constant layer to layer:
  ``Var(W) = 2 / fan_in`` (He et al., 2015).
- Xavier (Glorot) keeps the variance of forward activations and backward
  gradients balanced for tanh/sigmoid: ``Var(W) = 2 / (fan_in + fan_out)``
  (Glorot & Bengio, 2010).

A uniform draw on ``[-a, a]`` has variance ``a² / 3``, hence the ``√6`` bounds.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator


def _fans(shape: tuple) -> tuple[int, int]:
    if len(shape) < 2:
        raise ValueError(f"initialisers need a shape with at least 2 dimensions, got {shape}")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[0] * receptive, shape[1] * receptive


def he_normal(shape, rng=None, dtype="float32") -> np.ndarray:
    """Normal with std ``√(2 / fan_in)``."""
    fan_in, _ = _fans(shape)
    return _normal(shape, np.sqrt(2.0 / fan_in), rng, dtype)


def he_uniform(shape, rng=None, dtype="float32") -> np.ndarray:
    """Uniform on ``±√(6 / fan_in)``."""
    fan_in, _ = _fans(shape)
    return _uniform(shape, np.sqrt(6.0 / fan_in), rng, dtype)


def xavier_normal(shape, rng=None, dtype="float32") -> np.ndarray:
    """Normal with std ``√(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return _normal(shape, np.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def xavier_uniform(shape, rng=None, dtype="float32") -> np.ndarray:
    """Uniform on ``±√(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, np.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def zeros(shape, rng=None, dtype="float32") -> np.ndarray:
    """All zeros (``rng`` is accepted for a uniform signature and unused)."""
    return np.zeros(shape, dtype=dtype)


def _normal(shape, std, rng, dtype) -> np.ndarray:
    # Draw in float64 and round once, so a float32 and a float64 layer built
    # from the same seed hold the same weights up to rounding.
    return (as_generator(rng).standard_normal(shape) * std).astype(dtype)


def _uniform(shape, bound, rng, dtype) -> np.ndarray:
    return as_generator(rng).uniform(-bound, bound, size=shape).astype(dtype)


INITIALIZERS = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "zeros": zeros,
}


def get_initializer(name: str):
    """Look up an initialiser by name (``"he"`` and ``"xavier"`` are the normal variants)."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown init {name!r}; choose one of {', '.join(sorted(INITIALIZERS))}"
        ) from None
