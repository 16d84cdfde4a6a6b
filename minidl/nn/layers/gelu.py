"""GELU, ``X Φ(X)`` with Φ the standard normal CDF: exact (erf) or PyTorch's tanh form."""

from __future__ import annotations

import math

import numpy as np

from ..._special import erf
from ..._validate import as_float_dtype
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module

TANH_CUBIC = 0.044715   # the cubic coefficient of the tanh form (Hendrycks & Gimpel)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


@register_module
class GELU(Module):
    """``GELU(X) = X Φ(X)``, as ``torch.nn.GELU(approximate=...)``.

    Args:
        approximate: ``"none"`` (default): Φ(x) = ½(1 + erf(x/√2)) with a float64-accurate
            erf (``minidl._special.erf``); ``"tanh"``: ½ x (1 + tanh(√(2/π)(x + 0.044715 x³))).
        dtype: ``"float32"`` (default) or ``"float64"``; inputs are cast to it.

    Shape:
        any → the same shape.

    Example:
        >>> GELU(dtype="float64")(np.array([0.0, 1.0])).round(6)
        array([0.      , 0.841345])
    """

    def __init__(self, approximate: str = "none", *, dtype="float32"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.dtype = as_float_dtype(dtype, "GELU")

    def forward(self, x) -> np.ndarray:
        """Y = X Φ(X), caching X and Φ(X) (the tanh form: tanh u) for the derivative."""
        x = checked_input(self, x, dtype=self.dtype)
        if self.approximate == "tanh":
            t = np.tanh(_SQRT_2_OVER_PI * (x + TANH_CUBIC * x ** 3))
            self.cache = (x, t)
            return 0.5 * x * (1 + t)
        cdf = _normal_cdf(x)  # erf is the costly part: computed once, reused by backward
        self.cache = (x, cdf)
        return x * cdf

    def backward(self, dout) -> np.ndarray:
        """dX = dY ⊙ GELU'(X)  (docs/derivations/attention.md §5):

        "none":  GELU'(x) = Φ(x) + x φ(x),  φ(x) = e^{−x²/2}/√(2π);
        "tanh":  GELU'(x) = ½(1 + tanh u) + ½ x (1 − tanh² u) √(2/π)(1 + 3·0.044715 x²),
                 u = √(2/π)(x + 0.044715 x³).
        """
        x, cached = self.cached()
        dout = checked_dout(self, dout, x.shape, self.dtype)
        if self.approximate == "tanh":
            t = cached
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * TANH_CUBIC * x * x)
        else:
            slope = cached + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return dout * slope

    def get_config(self) -> dict:
        return {"approximate": self.approximate, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        form = getattr(self, "approximate", "none")
        return "GELU()" if form == "none" else f"GELU(approximate={form!r})"


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = ½ (1 + erf(x/√2))."""
    return 0.5 * (1 + erf(x / math.sqrt(2)))
