"""Softmax along one axis, and the O(T) vector–Jacobian product of its backward."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """P = e^{Z − max Z} / Σ e^{Z − max Z} along ``axis`` (the shift keeps exp from overflowing)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(p: np.ndarray, dp: np.ndarray, axis: int = -1) -> np.ndarray:
    """dZ = P ⊙ (dP − Σ_j dP_j P_j) along ``axis`` (docs/derivations/attention.md §1)."""
    return p * (dp - (dp * p).sum(axis=axis, keepdims=True))


@register_module
class Softmax(Module):
    """``P = softmax(Z)`` along ``axis`` (a layer; for class scores use ``SoftmaxCrossEntropy``,
    which takes logits and is exact where this would lose the log).

    Args:
        axis: the axis that sums to 1 (default the last).
        dtype: ``"float32"`` (default) or ``"float64"``.

    Example:
        >>> Softmax(dtype="float64")(np.zeros((1, 4)))
        array([[0.25, 0.25, 0.25, 0.25]])
    """

    def __init__(self, axis: int = -1, *, dtype="float32"):
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Softmax: axis must be an integer, got {axis!r}")
        self.axis = axis
        self.dtype = as_float_dtype(dtype, "Softmax")

    def forward(self, x) -> np.ndarray:
        """P = softmax(Z), caching P (the Jacobian diag(P) − P Pᵀ is a function of it)."""
        x = checked_input(self, x, dtype=self.dtype)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"{self!r}.forward: axis {self.axis} is out of range "
                             f"for input of shape {x.shape}")
        self.cache = softmax(x, self.axis)
        return self.cache

    def backward(self, dout) -> np.ndarray:
        """dZ = P ⊙ (dP − Σ_j dP_j P_j): Jᵀ dP without forming J (attention.md §1)."""
        p = self.cached()
        return softmax_backward(p, checked_dout(self, dout, p.shape, self.dtype), self.axis)

    def get_config(self) -> dict:
        return {"axis": self.axis, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        return f"Softmax(axis={getattr(self, 'axis', '?')})"
