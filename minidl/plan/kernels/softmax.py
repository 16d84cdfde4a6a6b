"""Planned Softmax, and the in-place softmax and its fused backward that attention uses."""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_input
from .base import Kernel
from .rows import ones_column, row_max, row_sums


def softmax_in_place(s: np.ndarray, row: np.ndarray, ones: np.ndarray) -> np.ndarray:
    """S ← e^{S − max S} / Σ e^{S − max S} along the last axis, in S's own memory;
    ``row`` is S's shape with a last axis of 1 (the max, then the sum), ``ones`` a
    column of ones as long as that axis (``rows.py``)."""
    s -= row_max(s, row)
    np.exp(s, out=s)
    s /= row_sums(s, row, ones)
    return s


def softmax_backward_in_place(p: np.ndarray, dp: np.ndarray, tmp: np.ndarray, row: np.ndarray,
                              ones: np.ndarray) -> np.ndarray:
    """dZ = P ⊙ (dP − Σ_j dP_j P_j) along the last axis (docs/derivations/attention.md §1),
    written over dP; ``tmp`` is P's shape, ``row`` P's shape with a last axis of 1."""
    np.multiply(dp, p, out=tmp)
    dp -= row_sums(tmp, row, ones)   # dP − Σ_j dP_j P_j
    dp *= p
    return dp


class SoftmaxKernel(Kernel):
    """``Softmax`` along its axis: P = softmax(Z) into a reused array (the axis moved last
    as a view), dZ = P ⊙ (dP − Σ_j dP_j P_j) written over a reused array."""

    output_is_scratch = False  # backward reads P

    def forward(self, x, ws):
        layer = self.layer
        if not (isinstance(x, np.ndarray) and x.dtype == layer.dtype and x.ndim and x.shape[0]
                and -x.ndim <= layer.axis < x.ndim):
            x = checked_input(layer, x, dtype=layer.dtype)
            if not -x.ndim <= layer.axis < x.ndim:
                layer(x)  # raises the layer's own error
        p = ws.array(self, "p", x.shape, x.dtype)
        np.copyto(p, x)
        last = np.moveaxis(p, layer.axis, -1)
        self.p = p
        softmax_in_place(last, ws.array(self, "row", last.shape[:-1] + (1,), x.dtype),
                         ones_column(self, ws, last.shape[-1], x.dtype))
        return p

    def backward(self, dout, ws, need_dx: bool):
        """dZ = P ⊙ (dP − Σ_j dP_j P_j) along the axis."""
        if not need_dx:
            return None
        axis, p = self.layer.axis, self.p
        dz = ws.array(self, "dz", p.shape, p.dtype)
        np.copyto(dz, dout)
        last_p, last_dz = np.moveaxis(p, axis, -1), np.moveaxis(dz, axis, -1)
        tmp = np.moveaxis(ws.array(self, "tmp", p.shape, p.dtype), axis, -1)
        row = ws.array(self, "row", last_p.shape[:-1] + (1,), p.dtype)
        ones = ones_column(self, ws, last_p.shape[-1], p.dtype)
        return softmax_backward_in_place(last_p, last_dz, tmp, row, ones)
