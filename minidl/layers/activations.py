"""Element-wise activations ``H = φ(Z)`` and their backward ``dZ = dH ⊙ φ'(Z)``.

Each caches the one array its derivative needs: ReLU a boolean mask, Tanh and
Sigmoid their own output (their derivatives are functions of it).
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array
from ..functional import sigmoid
from ..module import Module


class _Elementwise(Module):
    """Shared plumbing: validate input, cache one array, check dout's shape."""

    def _input(self, x) -> np.ndarray:
        x = as_array(x, f"{self!r}.forward")
        if x.dtype.kind != "f":
            x = x.astype(np.float64)
        return x

    def _dout(self, dout) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cached()
        return cached, self._check_dout(dout, cached.shape)


class ReLU(_Elementwise):
    """``H = max(0, Z)``, with ReLU′(0) = 0 (the PyTorch convention).

    Example:
        >>> ReLU()(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """

    def forward(self, x) -> np.ndarray:
        x = self._input(x)
        mask = x > 0
        self._cache = mask
        return x * mask

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ 1[Z > 0]  (``backprop-mlp-layers.md`` §7)."""
        mask, dout = self._dout(dout)
        return dout * mask


class Tanh(_Elementwise):
    """``H = tanh(Z)``; stable for any |Z| (numpy saturates to ±1 without overflow)."""

    def forward(self, x) -> np.ndarray:
        out = np.tanh(self._input(x))
        self._cache = out
        return out

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ (1 − H²)  since tanh′ = 1 − tanh²."""
        out, dout = self._dout(dout)
        return dout * (1 - out * out)


class Sigmoid(_Elementwise):
    """``H = σ(Z) = 1 / (1 + e^(−Z))``, computed without overflow for large |Z|."""

    def forward(self, x) -> np.ndarray:
        out = sigmoid(self._input(x))
        self._cache = out
        return out

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ H (1 − H)  since σ′ = σ (1 − σ)."""
        out, dout = self._dout(dout)
        return dout * (out * (1 - out))

