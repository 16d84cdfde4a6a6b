"""Planned LayerNorm: each row's statistics and the backward, over reused (rows, D) arrays."""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_input, last_axis
from .base import Kernel
from .rows import ones_column, row_sums


def rows_of(layer, x, width: int, dtype) -> np.ndarray:
    """The input of a last-axis layer as an array of ``dtype`` with a last axis of ``width``:
    what the previous kernel made passes as it is, anything else gets the layer's checks."""
    if isinstance(x, np.ndarray) and x.dtype == dtype and x.ndim >= 2 and x.shape[0] \
            and x.shape[-1] == width:
        return x
    return checked_input(layer, x, last_axis(x, width), dtype)


class LayerNormKernel(Kernel):
    """``LayerNorm``'s equations on the input as R rows of D:
    μ, σ² per row, r = 1/√(σ² + eps), x̂ = (X − μ) r, Y = γ ⊙ x̂ + β;
    dγ = Σ_rows dY ⊙ x̂, dβ = Σ_rows dY (into ``.grad``), g = γ ⊙ dY,
    dX = (r/D)(D·g − Σ g − x̂ ⊙ Σ (g ⊙ x̂)) (docs/derivations/attention.md §4)."""

    def forward(self, x, ws):
        layer = self.layer
        d, dtype = layer.normalized_shape, layer.dtype
        x = rows_of(layer, x, d, dtype)
        self.shape = x.shape
        x = x.reshape(-1, d)
        r = x.shape[0]
        ones = ones_column(self, ws, d, dtype)  # row sums as x · 1 (rows.py: many times faster)
        mean = row_sums(x, ws.array(self, "mean", (r, 1), dtype), ones)
        mean /= d
        xhat = np.subtract(x, mean, out=ws.array(self, "xhat", x.shape, dtype))
        square = np.multiply(xhat, xhat, out=ws.array(self, "tmp", x.shape, dtype))
        inv_std = row_sums(square, ws.array(self, "inv_std", (r, 1), dtype), ones)
        inv_std /= d                             # σ², biased
        inv_std += layer.eps
        np.sqrt(inv_std, out=inv_std)
        np.divide(1, inv_std, out=inv_std)       # r
        xhat *= inv_std
        self.xhat, self.inv_std = xhat, inv_std
        out = np.multiply(xhat, layer._params["gamma"].data, out=ws.array(self, "out", x.shape, dtype))
        out += layer._params["beta"].data
        return out.reshape(self.shape)

    def backward(self, dout, ws, need_dx: bool):
        """dγ = Σ dY ⊙ x̂,  dβ = Σ dY,  g = γ ⊙ dY,  dX = (r/D)(D·g − Σ g − x̂ ⊙ Σ (g ⊙ x̂))."""
        layer, xhat, inv_std = self.layer, self.xhat, self.inv_std
        gamma, beta = layer._params["gamma"], layer._params["beta"]
        d, dtype = layer.normalized_shape, layer.dtype
        dout = dout.reshape(-1, d)
        tmp = np.multiply(dout, xhat, out=ws.array(self, "tmp", xhat.shape, dtype))
        np.add.reduce(tmp, axis=0, out=gamma.grad)           # dγ = Σ_rows dY ⊙ x̂
        np.add.reduce(dout, axis=0, out=beta.grad)           # dβ = Σ_rows dY
        if not need_dx:
            return None
        r = xhat.shape[0]
        g = np.multiply(dout, gamma.data, out=ws.array(self, "dx", xhat.shape, dtype))
        ones = ones_column(self, ws, d, dtype)
        sum_g = row_sums(g, ws.array(self, "mean", (r, 1), dtype), ones)
        np.multiply(g, xhat, out=tmp)
        sum_gx = row_sums(tmp, ws.array(self, "sum_gx", (r, 1), dtype), ones)
        np.multiply(xhat, sum_gx, out=tmp)       # x̂ ⊙ Σ (g ⊙ x̂)
        g *= d                                   # D·g, then the two sums off it
        g -= sum_g
        g -= tmp
        np.divide(inv_std, d, out=sum_g)         # r/D
        g *= sum_g
        return g.reshape(self.shape)
