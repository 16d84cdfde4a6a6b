"""Planned softmax–cross-entropy: loss and ∂L/∂Z = (P − Y)/N from one pass of exp."""

from __future__ import annotations

import numpy as np

from ...nn.losses import check_target


class CrossEntropyKernel:
    """``SoftmaxCrossEntropy`` on class ids, fused: with s = Z − max Z (row-wise) and
    S = Σ exp(s), the loss is mean(log S − s_y) and P = exp(s)/S, one pass of exp for both,
    all in one reused (N, C) array that becomes ∂L/∂Z = (P − Y)/N. Probability targets,
    sequence logits (N, T, C), an ``ignore_index`` (and anything else) take the loss's own
    methods."""

    def __init__(self, loss_fn):
        self.loss_fn = loss_fn

    def forward(self, z, y, ws) -> float:
        self.own_methods = not (isinstance(y, np.ndarray) and y.ndim == 1 and z.ndim == 2
                                and getattr(self.loss_fn, "ignore_index", None) is None)
        if self.own_methods:
            return self.loss_fn(z, y)
        y = check_target(y, z.shape)
        n = z.shape[0]
        rows = self._rows(n)
        column = ws.array(self, "column", (n, 1), z.dtype)  # max Z, then S, per row
        p = np.subtract(z, np.max(z, axis=1, keepdims=True, out=column),
                        out=ws.array(self, "p", z.shape, z.dtype))
        target = p[rows, y]  # s_y
        np.exp(p, out=p)
        total = np.add.reduce(p, axis=1, keepdims=True, out=column)  # S ≥ 1: log S is finite
        loss = (np.log(total, out=ws.array(self, "log_total", (n, 1), z.dtype)).sum() - target.sum()) / n
        p /= total
        self.p, self.y, self.rows = p, y, rows
        return float(loss)

    def _rows(self, n: int) -> np.ndarray:
        """0, 1, …, n − 1: one arange kept for the largest batch, sliced for smaller ones."""
        if getattr(self, "_arange", None) is None or len(self._arange) < n:
            self._arange = np.arange(n)
        return self._arange[:n]

    def backward(self, ws, scale: float = 1.0) -> np.ndarray:
        """∂L/∂Z = (P − Y)/N, written over P; times ``scale`` (the plan folds the learning rate
        in here, in the same multiply)."""
        if self.own_methods:
            return self.loss_fn.backward()
        p = self.p
        p[self.rows, self.y] -= 1
        p *= p.dtype.type(scale / p.shape[0])
        return p
