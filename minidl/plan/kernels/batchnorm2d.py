"""Planned BatchNorm2d: the planned BatchNorm1d on the channels-last rows of the image."""

from __future__ import annotations

from .batchnorm import BatchNormKernel
from .images import image_input, nhwc


class BatchNorm2dKernel(BatchNormKernel):
    """``BatchNorm2d`` is BatchNorm1d over the N·H·W pixels as samples (convolution.md §6);
    channels last, the image's own memory is N·H rows of W pixels × C channels, so this is
    ``BatchNormKernel.normalize`` (its equations, running statistics and buffers) on that
    (N·H, W·C) view with W samples per row, reshaped back."""

    def forward(self, x, ws):
        x = image_input(self, x, self.layer.num_features)
        n, c, h, w = x.shape
        rows = nhwc(ws, self, "x", x).reshape(n * h, w * c)  # (N·H, W·C)
        self.image_shape = (n, h, w, c)
        return self.normalize(rows, ws, w).reshape(self.image_shape).transpose(0, 3, 1, 2)

    def backward(self, dout, ws, need_dx: bool):
        """dR = the planned BatchNorm1d backward of dY's rows (convolution.md §6), back to (N, C, H, W)."""
        n, h, w, c = self.image_shape
        drows = super().backward(nhwc(ws, self, "dout", dout).reshape(n * h, w * c), ws, need_dx)
        return None if drows is None else drows.reshape(self.image_shape).transpose(0, 3, 1, 2)
