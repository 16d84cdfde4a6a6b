"""Planned Dense: ``Z = X W + b`` into reused arrays, gradients written straight into ``.grad``."""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_input, last_axis
from .base import Kernel, input_of


class DenseKernel(Kernel):
    """The same equations as ``Dense`` (dX = dZ Wᵀ, dW = Xᵀ dZ, db = Σ_n dZ[n]); dW and db
    overwrite ``.grad``, and dX is skipped for the first layer (its input is data).
    An (N, ..., D) input is computed as its M = N·… rows and reshaped back, as the layer does."""

    linear_in_dout = True

    def forward(self, x, ws):
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]  # one look-up each: this runs every step
        self.lead_shape = None  # the (N, ...) axes of an input with more than two
        if isinstance(x, np.ndarray) and x.ndim > 2:
            x = checked_input(layer, x, last_axis(x, layer.in_features), layer.dtype)
            self.lead_shape = x.shape[:-1]
            x = x.reshape(-1, layer.in_features)
        self.x = x = input_of(layer, x, layer.in_features, layer.dtype)
        z = np.matmul(x, W.data, out=ws.array(self, "z", (x.shape[0], layer.out_features), layer.dtype))
        z += b.data
        if self.lead_shape is not None:
            return z.reshape(self.lead_shape + (layer.out_features,))
        return z

    def backward(self, dout, ws, need_dx: bool):
        """dW = Xᵀ dZ,  db = Σ_n dZ[n]  (into .grad),  dX = dZ Wᵀ."""
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]
        if self.lead_shape is not None:
            dout = dout.reshape(-1, layer.out_features)  # (M, H)
        np.matmul(self.x.T, dout, out=W.grad)        # dW = Xᵀ dZ, (D, H)
        np.add.reduce(dout, axis=0, out=b.grad)      # db = Σ_n dZ[n]
        if not need_dx:
            return None
        dx = ws.array(self, "dx", (dout.shape[0], layer.in_features), layer.dtype)
        np.matmul(dout, W.data.T, out=dx)            # dX = dZ Wᵀ, (M, D)
        if self.lead_shape is not None:
            return dx.reshape(self.lead_shape + (layer.in_features,))
        return dx
