"""Planned softmax–cross-entropy: loss and ∂L/∂Z = (P − Y)/N from one pass of exp."""

from __future__ import annotations

import numpy as np

from ...nn.losses import _check_target


class CrossEntropyKernel:
    """``SoftmaxCrossEntropy`` on class ids, fused. It works on Zᵀ, shape (C, N): numpy
    reduces across the rows of an array several times faster than along short rows, and with
    s = Z − max Z and S = Σ exp(s), P = exp(s)/S and log P = s − log S share one exp pass.
    Probability targets (and anything else) take the loss's own methods."""

    def __init__(self, loss_fn):
        self.loss_fn = loss_fn

    def forward(self, z, y, ws) -> float:
        self.own_methods = not (isinstance(y, np.ndarray) and y.ndim == 1 and z.ndim == 2)
        if self.own_methods:
            return self.loss_fn(z, y)
        y = _check_target(y, z.shape)
        c, n = z.shape[1], z.shape[0]
        shifted = ws.array(self, "shifted", (c, n), z.dtype)
        np.copyto(shifted, z.T)
        shifted -= shifted.max(axis=0)  # every entry ≤ 0
        p = np.exp(shifted, out=ws.array(self, "p", (c, n), z.dtype))
        # Across rows numpy adds one row at a time (no pairwise summation): S in float64
        total = np.add.reduce(p, axis=0, dtype=np.float64, out=ws.array(self, "total", (n,), np.float64))
        same_dtype = ws.array(self, "total_in_dtype", (n,), p.dtype)  # p /= float64 would cast in
        np.copyto(same_dtype, total, casting="same_kind")             # buffered chunks
        p /= same_dtype
        loss = (np.log(total).sum() - shifted[y, np.arange(n)].sum()) / n
        self.p, self.y = p, y
        return float(loss)

    def backward(self, ws) -> np.ndarray:
        """∂L/∂Z = (P − Y)/N, returned as a transposed view of (C, N): matmul reads it as it
        is, and Dense's Σ over the batch becomes a reduction across rows, the fast direction."""
        if self.own_methods:
            return self.loss_fn.backward()
        p, y = self.p, self.y
        n = p.shape[1]
        p[y, np.arange(n)] -= 1
        p *= p.dtype.type(1 / n)
        return p.T
