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
        if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.ndim and x.shape[0]:
            return x
        x = as_array(x, f"{self!r}.forward")
        if x.ndim and x.shape[0] == 0:
            raise ValueError(f"{self!r}.forward: got an empty batch of shape {x.shape}")
        return x if x.dtype.kind == "f" else x.astype(np.float64)

    def _dout(self, dout) -> tuple[np.ndarray, np.ndarray]:
        cached = self._cached()
        if isinstance(dout, np.ndarray) and dout.shape == cached.shape:
            return cached, dout
        return cached, self._check_dout(dout, cached.shape)


class ReLU(_Elementwise):
    """``H = max(0, Z)``, with ReLU′(0) = 0 (the PyTorch convention).

    Example:
        >>> ReLU()(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """

    def forward(self, x) -> np.ndarray:
        x = self._input(x)
        mask = np.greater(x, 0, out=self._array("mask", x.shape, bool))
        self._cache = mask  # 1[Z > 0]: one byte per element is all backward needs
        return np.multiply(x, mask, out=self._array("out", x.shape, x.dtype))

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ 1[Z > 0]  (``backprop-mlp-layers.md`` §7)."""
        mask, dout = self._dout(dout)
        dtype = dout.dtype if dout.dtype.kind == "f" else np.float64
        return np.multiply(dout, mask, out=self._array("dx", dout.shape, dtype))


class Tanh(_Elementwise):
    """``H = tanh(Z)``; stable for any |Z| (numpy saturates to ±1 without overflow)."""

    def forward(self, x) -> np.ndarray:
        out = np.tanh(self._input(x))
        self._cache = out
        return out

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ (1 − H²)  since tanh′ = 1 − tanh²."""
        out, dout = self._dout(dout)
        return dout.astype(out.dtype, copy=False) * (1 - out * out)


class Sigmoid(_Elementwise):
    """``H = σ(Z) = 1 / (1 + e^(−Z))``, computed without overflow for large |Z|."""

    def forward(self, x) -> np.ndarray:
        out = sigmoid(self._input(x))
        self._cache = out
        return out

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ H (1 − H)  since σ′ = σ (1 − σ)."""
        out, dout = self._dout(dout)
        return dout.astype(out.dtype, copy=False) * (out * (1 - out))

