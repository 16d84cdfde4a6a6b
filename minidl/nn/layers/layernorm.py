"""Layer normalisation over the last axis: each row by its own mean and variance."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input
from ..module import Module, Parameter
from ..registry import register_module


@register_module
class LayerNorm(Module):
    """``Y = γ ⊙ x̂ + β``, ``x̂ = (X − μ) / √(σ² + eps)`` with μ, σ² over the last axis (Ba et al., 2016).

    Training and evaluation compute the same thing: every row is normalised by its own
    statistics, so there are no running statistics.

    Args:
        normalized_shape: D, the size of the last axis.
        eps: added to the variance before the square root.
        dtype: ``"float32"`` (default) or ``"float64"``; inputs are cast to it.

    Shape:
        X: (..., D) → Y: (..., D), e.g. (N, D) or (N, T, D).

    Attributes:
        gamma: (D,) scale (starts at 1), beta: (D,) shift (starts at 0); gradients
            ``dgamma``, ``dbeta``.

    Example:
        >>> ln = LayerNorm(4, dtype="float64")
        >>> y = ln(np.arange(8.0).reshape(2, 4))
        >>> bool(np.allclose(y.mean(axis=-1), 0) and np.allclose(y.var(axis=-1), 1, atol=1e-4))
        True
    """

    def __init__(self, normalized_shape: int, *, eps: float = 1e-5, dtype="float32"):
        where = f"LayerNorm({normalized_shape})"
        self.normalized_shape = positive_int(normalized_shape, "normalized_shape", where)
        if not isinstance(eps, numbers.Real) or isinstance(eps, bool) or not 0 < eps < math.inf:
            raise ValueError(f"{where}: eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        self.dtype = as_float_dtype(dtype, where)
        self.gamma = Parameter(np.ones(self.normalized_shape, dtype=self.dtype))
        self.beta = Parameter(np.zeros(self.normalized_shape, dtype=self.dtype))

    def forward(self, x) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, caching x̂ and r = 1/√(σ² + eps) per row."""
        x = checked_input(self, x, dtype=self.dtype)
        if x.ndim < 1 or x.shape[-1] != self.normalized_shape:
            raise ValueError(f"{self!r}.forward: expected input of shape (..., {self.normalized_shape}) "
                             f"(LayerNorm normalises the last axis), got {x.shape}")
        mean = x.mean(axis=-1, keepdims=True)                              # (..., 1)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)               # (..., 1), biased
        inv_std = 1 / np.sqrt(var + self.eps)                              # (..., 1), r
        xhat = (x - mean) * inv_std                                        # (..., D)
        self.cache = (xhat, inv_std)
        return xhat * self.gamma + self.beta

    def backward(self, dout) -> np.ndarray:
        """Y = γ ⊙ x̂ + β, x̂ = (X − μ) r, sums Σ along the last axis  ⇒

        dγ += Σ_rows dY ⊙ x̂,   dβ += Σ_rows dY,   g = γ ⊙ dY,
        dX = (r/D) (D·g − Σ g − x̂ ⊙ Σ (g ⊙ x̂))      (docs/derivations/attention.md §4).
        """
        xhat, inv_std = self.cached()
        dout = checked_dout(self, dout, xhat.shape, self.dtype)
        rows = tuple(range(xhat.ndim - 1))                  # every axis but the last
        self.dgamma += (dout * xhat).sum(axis=rows)         # (D,)
        self.dbeta += dout.sum(axis=rows)                   # (D,)
        g = dout * self.gamma                               # (..., D), dx̂
        d = self.normalized_shape
        return inv_std / d * (d * g - g.sum(axis=-1, keepdims=True)
                              - xhat * (g * xhat).sum(axis=-1, keepdims=True))

    def get_config(self) -> dict:
        return {"normalized_shape": self.normalized_shape, "eps": self.eps, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return f"LayerNorm({getattr(self, 'normalized_shape', '?')})"
