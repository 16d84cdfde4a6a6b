"""Planned Flatten: (N, C, H, W) → (N, C·H·W) rows in the layer's (row-major NCHW) order."""

from __future__ import annotations

import numpy as np

from .base import Kernel, input_of
from .images import channels_last, is_channels_last


class FlattenKernel(Kernel):
    """Y = X reshaped to (N, −1), dX = dY reshaped back (``Flatten``). A channels-last image
    cannot be reshaped in place (its rows would come out in H, W, C order), so it is copied
    into one reused array, and dX goes back channels last for the kernels before."""

    linear_in_dout = True
    output_is_scratch = False  # the output may be a view of the input

    def forward(self, x, ws):
        x = input_of(self.layer, x)
        if x.ndim < 2:
            self.layer.forward(x)  # raises the layer's own error
        self.input_shape, self.channels_last = x.shape, is_channels_last(x) and not x.flags.c_contiguous
        if not self.channels_last:
            return x.reshape(x.shape[0], -1)
        out = ws.array(self, "out", (x.shape[0], x[0].size), x.dtype)
        np.copyto(out.reshape(x.shape), x)
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dX = dY reshaped to X's shape (channels last when X was)."""
        if not need_dx:
            return None
        if not self.channels_last:
            return dout.reshape(self.input_shape)
        dx = channels_last(ws, self, "dx", self.input_shape, dout.dtype)
        np.copyto(dx, dout.reshape(self.input_shape))
        return dx
