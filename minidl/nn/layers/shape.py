"""Layers that only change an array's shape: Flatten and Reshape (convolution.md §7)."""

from __future__ import annotations

import math

import numpy as np

from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module


@register_module
class Flatten(Module):
    """(N, d1, d2, …) → (N, d1·d2·…), row-major (``torch.flatten(x, 1)``).

    Example:
        >>> Flatten()(np.zeros((2, 3, 4, 5))).shape
        (2, 60)
    """

    def forward(self, x) -> np.ndarray:
        """Y = X reshaped to (N, −1), caching X's shape."""
        x = checked_input(self, x)
        if x.ndim < 2:
            raise ValueError(f"{self!r}.forward: expected input (N, d1, ...), got {x.shape}")
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout) -> np.ndarray:
        """dX = dY reshaped to X's shape."""
        shape = self.cached()
        dout = checked_dout(self, dout, (shape[0], math.prod(shape[1:])))
        return dout.reshape(shape)

    def get_config(self) -> dict:
        return {}


@register_module
class Reshape(Module):
    """(N, D) → (N, *shape) with D = prod(shape): flat data rows as images for a CNN.

    Example:
        >>> Reshape((1, 28, 28))(np.zeros((2, 784))).shape
        (2, 1, 28, 28)
    """

    def __init__(self, shape):
        self.shape = tuple(int(s) for s in shape)
        if not self.shape or any(s < 1 for s in self.shape):
            raise ValueError(f"Reshape: shape must be positive sizes, got {shape!r}")

    def forward(self, x) -> np.ndarray:
        """Y = X viewed as (N, *shape)."""
        x = checked_input(self, x)
        if x.ndim < 2 or math.prod(x.shape[1:]) != math.prod(self.shape):
            raise ValueError(f"{self!r}.forward: expected input (N, {math.prod(self.shape)}) "
                             f"(or any (N, …) of that size per sample), got {x.shape}")
        self.cache = x.shape
        return x.reshape(x.shape[0], *self.shape)

    def backward(self, dout) -> np.ndarray:
        """dX = dY reshaped back to X's shape."""
        shape = self.cached()
        dout = checked_dout(self, dout, (shape[0], *self.shape))
        return dout.reshape(shape)

    def get_config(self) -> dict:
        return {"shape": list(self.shape)}

    def extra_repr(self) -> str:
        return str(getattr(self, "shape", "?"))
