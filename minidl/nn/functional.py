"""Numerically stable building blocks shared by layers and losses.

The tricks (``backprop-calculus-curriculum.md`` §8, numerical stability):

- ``logsumexp(z) = m + log Σ exp(z − m)`` with ``m = max z``: the largest exponent
  is ``exp(0) = 1``, so nothing overflows, and the sum is ≥ 1, so the log is finite.
- ``softmax(z) = softmax(z − c)`` for any constant ``c``; subtracting the max is free.
- ``σ(x)`` only ever exponentiates ``−|x|``.
"""

from __future__ import annotations

import numpy as np


def logsumexp(z: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log Σ exp(z)`` along ``axis``, without overflow."""
    m = z.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log softmax(z) = z − logsumexp(z)``, finite for any finite ``z``."""
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``P_i = exp(z_i − m) / Σ_j exp(z_j − m)`` with ``m = max z`` (shift-invariant)."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable logistic function ``1 / (1 + e^(−x))``.

    For x ≥ 0 it is ``1 / (1 + e)``, for x < 0 ``e / (1 + e)``, both with
    ``e = exp(−|x|) ≤ 1``: no overflow and no warning at ±1e4.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
