"""Planned Dense: ``Z = X W + b`` into reused arrays, gradients written straight into ``.grad``."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of


class DenseKernel(Kernel):
    """The same equations as ``Dense`` (dX = dZ Wᵀ, dW = Xᵀ dZ, db = Σ_n dZ[n]); dW and db
    overwrite ``.grad``, and dX is skipped for the first layer (its input is data)."""

    def forward(self, x, ws):
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]  # one look-up each: this runs every step
        self.x = x = input_of(layer, x, layer.in_features, layer.dtype)
        z = np.matmul(x, W.data, out=ws.array(self, "z", (x.shape[0], layer.out_features), layer.dtype))
        z += b.data
        return z

    def backward(self, dout, ws, need_dx: bool):
        """dW = Xᵀ dZ,  db = Σ_n dZ[n]  (into .grad),  dX = dZ Wᵀ."""
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]
        np.matmul(self.x.T, dout, out=W.grad)        # dW = Xᵀ dZ, (D, H)
        np.add.reduce(dout, axis=0, out=b.grad)      # db = Σ_n dZ[n]
        if not need_dx:
            return None
        dx = ws.array(self, "dx", (dout.shape[0], layer.in_features), layer.dtype)
        return np.matmul(dout, W.data.T, out=dx)     # dX = dZ Wᵀ, (N, D)
