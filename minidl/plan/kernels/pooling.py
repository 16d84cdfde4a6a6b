"""Planned pooling: each window's max or mean by KH·KW strided slabs, channels last.

Where the layer takes a window view and reduces over it, these walk the kernel offsets
(k, l): slab(k, l) = X[:, s·i + k, s·j + l, :] over every output (i, j) of the whole
batch, one numpy call each, into arrays from the workspace (convolution.md §4–5).
"""

from __future__ import annotations

import numpy as np

from .base import Kernel
from .images import channels_last, image_input, nhwc, slab


def _offsets(layer) -> list[tuple[int, int]]:
    """The kernel offsets (k, l) in the window's row-major order."""
    kh, kw = layer.kernel_size
    return [(k, l) for k in range(kh) for l in range(kw)]  # noqa: E741


class _PoolKernel(Kernel):
    """Shapes and buffers the two window pools share."""

    linear_in_dout = True

    def _start(self, x, ws):
        layer = self.layer
        x = image_input(self, x, None)
        n, c, h, w = x.shape
        (kh, kw), s = layer.kernel_size, layer.stride
        ho, wo = (h - kh) // s + 1, (w - kw) // s + 1
        if ho < 1 or wo < 1:
            layer.forward(x)  # raises the layer's own "does not fit" error
        self.input_shape, self.out_hw = x.shape, (ho, wo)
        out = channels_last(ws, self, "out", (n, c, ho, wo), x.dtype)
        return nhwc(ws, self, "x", x), out

    def _dx(self, ws, dtype) -> np.ndarray:
        """dX channels last, zeroed unless the windows tile the image exactly (each pixel in
        one window: every pixel is then written)."""
        n, c, h, w = self.input_shape
        (kh, kw), s = self.layer.kernel_size, self.layer.stride
        dx = ws.array(self, "dx", (n, h, w, c), dtype)
        if not (kh == kw == s and h % s == 0 and w % s == 0):
            dx[...] = 0
        self.tiles = kh <= s and kw <= s  # no overlap: each slab may be assigned, not added
        return dx


class MaxPool2dKernel(_PoolKernel):
    """Y = the window maxima (``MaxPool2d``), keeping which offset won each window: a later
    offset wins only if strictly greater, so a tie stays with the first maximum in
    row-major window order, as the layer's argmax and PyTorch route it."""

    @classmethod
    def supports(cls, layer) -> bool:
        kh, kw = layer.kernel_size
        return kh * kw <= 256  # the winner's offset is kept in one byte

    def forward(self, x, ws):
        xh, out = self._start(x, ws)
        ho, wo = self.out_hw
        s = self.layer.stride
        yh = out.transpose(0, 2, 3, 1)  # (N, H', W', C)
        which, offered = (ws.array(self, name, yh.shape, np.uint8) for name in ("which", "offered"))
        beats = ws.array(self, "beats", yh.shape, bool)
        offsets = _offsets(self.layer)
        yh[...] = slab(xh, *offsets[0], ho, wo, s)
        which[...] = 0
        for index, (k, l) in enumerate(offsets[1:], start=1):  # noqa: E741
            pixels = slab(xh, k, l, ho, wo, s)
            np.greater(pixels, yh, out=beats)
            # which ← index where this offset beats the maximum so far: as the offsets only
            # grow, that is max(which, index·beats) (np.copyto(..., where=) is ~100× slower)
            np.maximum(which, np.multiply(beats, np.uint8(index), out=offered), out=which)
            np.maximum(yh, pixels, out=yh)  # (a NaN is kept, so the loss reports it)
        self.which, self.beats = which, beats
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dX[n, s·i + k*, s·j + l*, c] += dY[n, i, j, c] at each window's first maximum (k*, l*)."""
        if not need_dx:
            return None
        ho, wo = self.out_hw
        s = self.layer.stride
        dy = nhwc(ws, self, "dy", dout)  # (N, H', W', C)
        dx = self._dx(ws, dy.dtype)
        won, scratch = self.beats, ws.array(self, "scratch", dy.shape, dy.dtype)
        for index, (k, l) in enumerate(_offsets(self.layer)):  # noqa: E741
            np.equal(self.which, np.uint8(index), out=won)
            if self.tiles:
                np.multiply(dy, won, out=slab(dx, k, l, ho, wo, s))
            else:
                slab(dx, k, l, ho, wo, s)[...] += np.multiply(dy, won, out=scratch)
        return dx.transpose(0, 3, 1, 2)


class AvgPool2dKernel(_PoolKernel):
    """Y = 1/(KH·KW) Σ_{k,l} slab(k, l) (``AvgPool2d``)."""

    def forward(self, x, ws):
        xh, out = self._start(x, ws)
        ho, wo = self.out_hw
        s, (kh, kw) = self.layer.stride, self.layer.kernel_size
        yh = out.transpose(0, 2, 3, 1)
        offsets = _offsets(self.layer)
        yh[...] = slab(xh, *offsets[0], ho, wo, s)
        for k, l in offsets[1:]:  # noqa: E741
            yh += slab(xh, k, l, ho, wo, s)
        yh /= kh * kw
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dX[n, s·i + k, s·j + l, c] += dY[n, i, j, c] / (KH·KW) for every offset (k, l)."""
        if not need_dx:
            return None
        ho, wo = self.out_hw
        s, (kh, kw) = self.layer.stride, self.layer.kernel_size
        dy = nhwc(ws, self, "dy", dout)
        share = np.divide(dy, kh * kw, out=ws.array(self, "share", dy.shape, dy.dtype))
        dx = self._dx(ws, dy.dtype)
        for k, l in _offsets(self.layer):  # noqa: E741
            if self.tiles:
                slab(dx, k, l, ho, wo, s)[...] = share
            else:
                slab(dx, k, l, ho, wo, s)[...] += share
        return dx.transpose(0, 3, 1, 2)


class GlobalAvgPool2dKernel(Kernel):
    """Y[n, c] = 1/(H·W) Σ_{u,v} X[n, c, u, v] (``GlobalAvgPool2d``)."""

    linear_in_dout = True

    def forward(self, x, ws):
        x = image_input(self, x, None)
        self.input_shape = n, c, _, _ = x.shape
        xh = nhwc(ws, self, "x", x)
        return np.mean(xh, axis=(1, 2), out=ws.array(self, "out", (n, c), x.dtype))

    def backward(self, dout, ws, need_dx: bool):
        """dX[n, c, u, v] = dY[n, c] / (H·W)."""
        if not need_dx:
            return None
        n, c, h, w = self.input_shape
        dx = ws.array(self, "dx", (n, h, w, c), dout.dtype)
        np.divide(dout[:, None, None, :], h * w, out=dx)
        return dx.transpose(0, 3, 1, 2)
