"""The memory layout the planned image kernels share: channels last.

A planned image kernel hands on an array that is (N, C, H, W) to everyone — the layers'
own methods, the next kernel, a user — but whose memory is laid out (N, H, W, C): a
transposed view of a channels-last buffer. numpy computes the same numbers on either
layout, so nothing outside the kernels needs to know; inside, a convolution's im2col
columns, its GEMMs and BatchNorm2d's per-channel rows are then plain contiguous
matrices with C as the last axis, and no array is ever transposed by copying.
"""

from __future__ import annotations

import numpy as np

from .activations import ReLUKernel
from .base import input_of


def is_channels_last(x: np.ndarray) -> bool:
    """Whether the (N, C, H, W) array ``x`` is a view of a contiguous (N, H, W, C) buffer."""
    return x.ndim == 4 and x.transpose(0, 2, 3, 1).flags.c_contiguous


def channels_last(ws, owner, name: str, shape: tuple, dtype) -> np.ndarray:
    """A workspace array of the (N, C, H, W) ``shape`` laid out channels last."""
    n, c, h, w = shape
    return ws.array(owner, name, (n, h, w, c), dtype).transpose(0, 3, 1, 2)


def nhwc(ws, owner, name: str, x: np.ndarray) -> np.ndarray:
    """``x`` (N, C, H, W) seen as the contiguous (N, H, W, C) array its kernels compute on:
    a view when x is channels last, else copied once into a workspace array."""
    xh = x.transpose(0, 2, 3, 1)
    if xh.flags.c_contiguous:
        return xh
    out = ws.array(owner, name, xh.shape, x.dtype)
    np.copyto(out, xh)
    return out


def slab(a: np.ndarray, k: int, l: int, ho: int, wo: int, s: int, d: int = 1) -> np.ndarray:  # noqa: E741
    """a[:, s·i + d·k, s·j + d·l, :] over every output (i, j) of a channels-last batch: the
    pixels kernel offset (k, l) reads, as one strided view."""
    return a[:, d * k:d * k + s * (ho - 1) + 1:s, d * l:d * l + s * (wo - 1) + 1:s, :]


def repeated(ws, owner, name: str, vector: np.ndarray, repeats: int) -> np.ndarray:
    """A per-channel ``vector`` (C,) repeated along a row of ``repeats`` pixels, (repeats·C,):
    what a per-channel operand is broadcast as over the image's (N·H, W·C) rows, whose
    element-wise loops then run W·C long instead of C (several times faster for C = 16)."""
    out = ws.array(owner, name, (repeats * vector.shape[0],), vector.dtype)
    out.reshape(repeats, -1)[...] = vector
    return out


def channel_sums(row_sum: np.ndarray, repeats: int, out: np.ndarray) -> np.ndarray:
    """out[c] = Σ_w row_sum[w·C + c]: per-channel totals from the column sums of (N·H, W·C) rows."""
    return np.add.reduce(row_sum.reshape(repeats, -1), axis=0, out=out)


def image_input(kernel, x, channels: int | None) -> np.ndarray:
    """The kernel's layer input as a float (N, C, H, W) array of the layer's dtype; anything
    else is handed to the layer's own forward, which raises the layer's own error."""
    layer = kernel.layer
    x = input_of(layer, x, None, getattr(layer, "dtype", None))
    if x.ndim != 4 or (channels is not None and x.shape[1] != channels):
        layer.forward(x)  # raises: the layer checks the same shape
        raise AssertionError(f"{layer!r}: the layer accepted an input its kernel refused, {x.shape}")
    return x


class _ChannelsLastWorkspace:
    """A workspace whose (N, C, H, W) arrays are channels last, for an element-wise kernel
    whose input is: its mask and output then match the input's layout (mixed layouts make
    numpy's element-wise loops several times slower)."""

    def __init__(self, ws):
        self.ws = ws

    def array(self, owner, name: str, shape: tuple, dtype) -> np.ndarray:
        if len(shape) == 4:
            return channels_last(self.ws, owner, name, shape, dtype)
        return self.ws.array(owner, name, shape, dtype)


class ImageReLUKernel(ReLUKernel):
    """``ReLUKernel`` (H = Z ⊙ 1[Z > 0], dZ = dH ⊙ 1[Z > 0]) whose arrays follow a
    channels-last input's layout; any other input runs exactly as ``ReLUKernel``."""

    def forward(self, x, ws):
        self.layout_ws = _ChannelsLastWorkspace(ws) if isinstance(x, np.ndarray) and \
            x.ndim == 4 and not x.flags.c_contiguous and is_channels_last(x) else None
        return super().forward(x, self.layout_ws or ws)

    def backward(self, dout, ws, need_dx: bool):
        """dZ = dH ⊙ 1[Z > 0]."""
        return super().backward(dout, self.layout_ws or ws, need_dx)
