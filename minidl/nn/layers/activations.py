"""Element-wise activations ``H = φ(Z)`` and their backward ``dZ = dH ⊙ φ'(Z)``.

Each caches the one array its derivative needs: ReLU the mask 1[Z > 0], Tanh and
Sigmoid their own output (their derivatives are functions of it).
"""

from __future__ import annotations

import numpy as np

from ..checks import checked_dout, checked_input
from ..functional import sigmoid
from ..module import Module
from ..registry import register_module


@register_module
class ReLU(Module):
    """``H = max(0, Z)``, with ReLU′(0) = 0 (the PyTorch convention).

    Example:
        >>> ReLU()(np.array([-1.0, 0.0, 2.0]))
        array([0., 0., 2.])
    """

    def forward(self, x) -> np.ndarray:
        x = checked_input(self, x)
        self.cache = x > 0  # 1[Z > 0]: one byte per element is all backward needs
        return x * self.cache

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ 1[Z > 0]  (``backprop-mlp-layers.md`` §7)."""
        mask = self.cached()
        return checked_dout(self, dout, mask.shape) * mask


@register_module
class Tanh(Module):
    """``H = tanh(Z)``; stable for any |Z| (numpy saturates to ±1 without overflow)."""

    def forward(self, x) -> np.ndarray:
        self.cache = np.tanh(checked_input(self, x))
        return self.cache

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ (1 − H²)  since tanh′ = 1 − tanh²."""
        out = self.cached()
        return checked_dout(self, dout, out.shape, out.dtype) * (1 - out * out)


@register_module
class Sigmoid(Module):
    """``H = σ(Z) = 1 / (1 + e^(−Z))``, computed without overflow for large |Z|."""

    def forward(self, x) -> np.ndarray:
        self.cache = sigmoid(checked_input(self, x))
        return self.cache

    def backward(self, dout) -> np.ndarray:
        """dZ = dH ⊙ H (1 − H)  since σ′ = σ (1 − σ)."""
        out = self.cached()
        return checked_dout(self, dout, out.shape, out.dtype) * (out * (1 - out))
