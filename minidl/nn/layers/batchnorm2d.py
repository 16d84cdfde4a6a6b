"""Batch normalisation of (N, C, H, W) images per channel: BatchNorm1d over N·H·W rows."""

from __future__ import annotations

import numpy as np

from ..registry import register_module
from .batchnorm import BatchNorm1d


@register_module
class BatchNorm2d(BatchNorm1d):
    """``Y = γ ⊙ x̂ + β`` per channel, statistics over the N·H·W values of each channel.

    convolution.md §6: with R = X moved to channels-last and reshaped to (N·H·W, C), this
    is ``BatchNorm1d`` on R — same parameters, running statistics (unbiased with
    n = N·H·W), momentum and equations, so it reuses them rather than restating them.

    Shape: X: (N, C, H, W) → Y: (N, C, H, W); training needs N·H·W ≥ 2.

    Example:
        >>> BatchNorm2d(3)(np.ones((2, 3, 4, 4))).shape
        (2, 3, 4, 4)
    """

    def forward(self, x) -> np.ndarray:
        """Y = BatchNorm1d(R) reshaped back to (N, C, H, W)."""
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}.forward: expected input (N, {self.num_features}, H, W), "
                             f"got {x.shape}")
        n, c, h, w = x.shape
        rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)  # (N·H·W, C)
        return super().forward(rows).reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def backward(self, dout) -> np.ndarray:
        """dR = BatchNorm1d.backward(dY as rows) (convolution.md §6), dX = dR back to (N, C, H, W)."""
        xhat = self.cached()[0]  # (N·H·W, C)
        dout = np.asarray(dout)
        if dout.ndim != 4 or dout.shape[1] != self.num_features or dout[:, 0].size != xhat.shape[0]:
            raise ValueError(f"{self!r}.backward: expected dout of the forward output's shape "
                             f"(N, {self.num_features}, H, W) with N·H·W = {xhat.shape[0]}, got {dout.shape}")
        n, c, h, w = dout.shape
        drows = super().backward(dout.transpose(0, 2, 3, 1).reshape(n * h * w, c))
        return drows.reshape(n, h, w, c).transpose(0, 3, 1, 2)
