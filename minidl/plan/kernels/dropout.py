"""Planned Dropout: the layer's own random stream, drawn into reused arrays."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of


class DropoutKernel(Kernel):
    """out = X ⊙ M/(1 − p) with the mask drawn exactly as ``Dropout.draw_mask`` draws it
    (float32 uniforms from the layer's Generator, kept where U ≥ p), so a planned step and
    the teaching path see the same masks; the identity in evaluation mode."""

    linear_in_dout = True

    output_is_scratch = False  # in evaluation mode its output is its input

    def forward(self, x, ws):
        layer = self.layer
        x = input_of(layer, x)
        self.own_methods = layer.fix_mask  # a fixed mask (finite differences): the layer's own way
        if self.own_methods:
            return layer(x)
        self.identity = not layer.training or layer.p == 0
        if self.identity:
            return x
        uniform = layer.rng.random(dtype=np.float32, out=ws.array(self, "uniform", x.shape, np.float32))
        keep = np.greater_equal(uniform, layer.p, out=ws.array(self, "keep", x.shape, bool))
        self.mask = layer.mask = np.multiply(keep, x.dtype.type(1 / (1 - layer.p)),
                                             out=ws.array(self, "mask", x.shape, x.dtype))
        return np.multiply(x, self.mask, out=ws.array(self, "out", x.shape, x.dtype))

    def backward(self, dout, ws, need_dx: bool):
        """dX = dY ⊙ M/(1 − p)  (dX = dY in evaluation mode)."""
        if self.own_methods:
            return self.layer.backward(dout)
        if not need_dx:
            return None
        if self.identity:  # dX = dY: a copy, unless dY may be written over anyway
            if self.dout_is_scratch:
                return dout
            dx = ws.array(self, "dx", dout.shape, dout.dtype)
            np.copyto(dx, dout)
            return dx
        return np.multiply(dout, self.mask, out=ws.array(self, "dx", dout.shape, dout.dtype))
