"""Planned ReLU and Tanh: the same element-wise equations, into reused arrays."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of


class ReLUKernel(Kernel):
    """H = Z ⊙ 1[Z > 0], dZ = dH ⊙ 1[Z > 0] (a one-byte mask kept between the two)."""

    linear_in_dout = True

    def forward(self, x, ws):
        x = input_of(self.layer, x)
        self.mask = np.greater(x, 0, out=ws.array(self, "mask", x.shape, bool))
        out = x if self.input_is_scratch else ws.array(self, "out", x.shape, x.dtype)
        return np.multiply(x, self.mask, out=out)

    def backward(self, dout, ws, need_dx: bool):
        """dZ = dH ⊙ 1[Z > 0]."""
        if not need_dx:
            return None
        out = dout if self.dout_is_scratch else ws.array(self, "dx", dout.shape, dout.dtype)
        return np.multiply(dout, self.mask, out=out)


class TanhKernel(Kernel):
    """H = tanh Z, dZ = dH ⊙ (1 − H²)."""

    output_is_scratch = False  # backward reads H
    linear_in_dout = True

    def forward(self, x, ws):
        x = input_of(self.layer, x)
        self.out = np.tanh(x, out=ws.array(self, "out", x.shape, x.dtype))
        return self.out

    def backward(self, dout, ws, need_dx: bool):
        """dZ = dH ⊙ (1 − H²)."""
        if not need_dx:
            return None
        dx = np.multiply(self.out, self.out, out=ws.array(self, "dx", dout.shape, self.out.dtype))
        np.subtract(1, dx, out=dx)  # 1 − H²
        dx *= dout
        return dx
