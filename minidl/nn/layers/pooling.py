"""Pooling over spatial windows: max, average, and the global average over the whole image."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module
from .windows import add_windows, check_image, pair, windows


class _Pool2d(Module):
    """What MaxPool2d and AvgPool2d share: kernel, stride (default: the kernel), checks."""

    def __init__(self, kernel_size, stride=None, *, dtype="float32"):
        where = f"{type(self).__name__}({kernel_size!r})"
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = self.kernel_size[0] if stride is None else pair(stride, "stride", where)[0]
        if stride is None and self.kernel_size[0] != self.kernel_size[1]:
            raise ValueError(f"{where}: give a stride for a non-square kernel")
        self.dtype = as_float_dtype(dtype, where)

    def _windows(self, x) -> tuple[np.ndarray, np.ndarray]:
        x = checked_input(self, x, None, self.dtype)
        check_image(self, x, None, self.kernel_size, self.stride)
        return x, windows(x, *self.kernel_size, self.stride)  # (N, C, H', W', KH, KW)

    def get_config(self) -> dict:
        return {"kernel_size": list(self.kernel_size), "stride": self.stride, "dtype": self.dtype.name}

    def __repr__(self) -> str:
        kh, kw = getattr(self, "kernel_size", ("?", "?"))
        stride = getattr(self, "stride", kh)
        return f"{type(self).__name__}({kh}×{kw}" + (f", stride={stride})" if stride != kh else ")")


@register_module
class MaxPool2d(_Pool2d):
    """``Y[n,c,i,j] = max_{k,l} X[n,c,s·i+k,s·j+l]`` (convolution.md §4).

    Shape: (N, C, H, W) → (N, C, H', W'), H' = (H − KH) // s + 1 (trailing rows dropped).
    A tie sends the gradient to the first maximum in the window's row-major order (PyTorch's).

    Example:
        >>> MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """

    def forward(self, x) -> np.ndarray:
        """Y = the window maxima, caching the input shape and each window's first argmax."""
        x, v = self._windows(x)
        flat = v.reshape(*v.shape[:4], -1)  # (N, C, H', W', KH·KW), windows in row-major order
        first = flat.argmax(axis=-1)  # np.argmax returns the first of tied maxima
        # kept as the smallest integer type that holds a window index (a byte for windows up to
        # 16×16) rather than argmax's int64: 8× less cached for backward, the same routing
        first = first.astype(np.min_scalar_type(flat.shape[-1] - 1))
        self.cache = (x.shape, first)
        return np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]

    def backward(self, dout) -> np.ndarray:
        """dX[n,c,s·i+k*,s·j+l*] += dY[n,c,i,j] at the first argmax (k*, l*) of each window."""
        shape, first = self.cached()
        dout = checked_dout(self, dout, first.shape, self.dtype)
        kh, kw = self.kernel_size
        dflat = np.zeros((*first.shape, kh * kw), dtype=self.dtype)  # (N, C, H', W', KH·KW)
        np.put_along_axis(dflat, first[..., None], dout[..., None], axis=-1)
        return add_windows(dflat.reshape(*first.shape, kh, kw), shape, self.stride)


@register_module
class AvgPool2d(_Pool2d):
    """``Y[n,c,i,j] = 1/(KH·KW) Σ_{k,l} X[n,c,s·i+k,s·j+l]`` (convolution.md §5).

    Shape: (N, C, H, W) → (N, C, H', W'), H' = (H − KH) // s + 1.

    Example:
        >>> AvgPool2d(2)(np.ones((1, 1, 4, 4))).shape
        (1, 1, 2, 2)
    """

    def forward(self, x) -> np.ndarray:
        """Y = the window means, caching the input shape."""
        x, v = self._windows(x)
        self.cache = x.shape
        return v.mean(axis=(4, 5))

    def backward(self, dout) -> np.ndarray:
        """dX[n,c,s·i+k,s·j+l] += dY[n,c,i,j] / (KH·KW) for every (k, l) of the window."""
        shape = self.cached()
        kh, kw = self.kernel_size
        out = (shape[0], shape[1], (shape[2] - kh) // self.stride + 1, (shape[3] - kw) // self.stride + 1)
        dout = checked_dout(self, dout, out, self.dtype)
        spread = np.broadcast_to(dout[..., None, None] / (kh * kw), (*out, kh, kw))
        return add_windows(spread, shape, self.stride)


@register_module
class GlobalAvgPool2d(Module):
    """``Y[n,c] = 1/(H·W) Σ_{u,v} X[n,c,u,v]``: (N, C, H, W) → (N, C) (convolution.md §5).

    Example:
        >>> GlobalAvgPool2d()(np.ones((2, 3, 4, 5))).shape
        (2, 3)
    """

    def __init__(self, *, dtype="float32"):
        self.dtype = as_float_dtype(dtype, "GlobalAvgPool2d()")

    def forward(self, x) -> np.ndarray:
        """Y = the mean over each channel's pixels, caching the input shape."""
        x = checked_input(self, x, None, self.dtype)
        check_image(self, x, None, (1, 1), 1)
        self.cache = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout) -> np.ndarray:
        """dX[n,c,u,v] = dY[n,c] / (H·W)."""
        n, c, h, w = self.cached()
        dout = checked_dout(self, dout, (n, c), self.dtype)
        return np.broadcast_to(dout[:, :, None, None] / (h * w), (n, c, h, w)).copy()

    def get_config(self) -> dict:
        return {"dtype": self.dtype.name}
