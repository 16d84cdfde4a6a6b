"""Planned Conv2d: im2col by slab copies, one GEMM each for Z and dW, dX offset by offset.

The layer's correlation sum (convolution.md §1) as one matrix product, channels last:

    cols[(n,i,j), (k,l,c)] = Xp[n, s·i + d·k, s·j + d·l, c]        (N·H'·W', KH·KW·C)
    Wm[(k,l,c), f]         = W[f, c, k, l]                          (KH·KW·C, F)
    Z = cols Wm + b,  dWm = colsᵀ dZ,  db = Σ_rows dZ,
    dXp[n, s·i + d·k, s·j + d·l, c] += (dZ Wm[k,l]ᵀ)[(n,i,j), c]   for each offset (k, l)

The last line is col2im of dcols = dZ Wmᵀ written one kernel offset at a time, so that
each slab add reads a contiguous block. im2col copies one strided slab of the whole batch
per kernel row (each window row's KW·C values are one run in Xp) or, dilated, per offset:
no fancy indexing and no per-pixel loop.
"""

from __future__ import annotations

import numpy as np

from .base import Kernel
from .images import channel_sums, channels_last, image_input, nhwc, repeated, slab


class Conv2dKernel(Kernel):
    """The same equations as ``Conv2d`` (its docstring and convolution.md §1–3, §8) over
    channels-last buffers from the workspace; dW and db overwrite ``.grad``, and the dX
    columns reuse the im2col buffer once dW has read it."""

    linear_in_dout = True

    @classmethod
    def supports(cls, layer) -> bool:
        return isinstance(getattr(layer, "dilation", 1), int)

    def forward(self, x, ws):
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]
        x = image_input(self, x, layer.in_channels)
        n, c, h, w = x.shape
        (kh, kw), s, p, d = layer.kernel_size, layer.stride, layer.padding, getattr(layer, "dilation", 1)
        # H' = (H + 2p − d·(KH − 1) − 1) // s + 1, the layer's (and PyTorch's)
        ho, wo = (h + 2 * p - d * (kh - 1) - 1) // s + 1, (w + 2 * p - d * (kw - 1) - 1) // s + 1
        if ho < 1 or wo < 1:
            layer.forward(x)  # raises the layer's own "does not fit" error
        xh = nhwc(ws, self, "x", x)  # (N, H, W, C)
        if p:  # Xp: the border is zeroed each step (a reused buffer may hold anything there)
            xp = ws.array(self, "xp", (n, h + 2 * p, w + 2 * p, c), layer.dtype)
            xp[:, :p], xp[:, p + h:], xp[:, :, :p], xp[:, :, p + w:] = 0, 0, 0, 0
            xp[:, p:p + h, p:p + w] = xh
        else:
            xp = xh
        cols = ws.array(self, "cols", (n, ho, wo, kh, kw, c), layer.dtype)
        if d == 1:  # a window row's KW pixels × C channels are contiguous in Xp: copy them as one run
            for k in range(kh):
                rows = xp[:, k:k + s * (ho - 1) + 1:s]
                st = rows.strides
                # (the run's own stride is the item size: numpy's contiguity lets a size-1 axis,
                # here C = 1 of a first layer, carry any stride)
                cols[:, :, :, k].reshape(n, ho, wo, kw * c)[...] = np.lib.stride_tricks.as_strided(
                    rows, (n, ho, wo, kw * c), (st[0], st[1], s * st[2], rows.itemsize), writeable=False)
        else:
            for k in range(kh):
                for l in range(kw):  # noqa: E741  (l is the kernel column, as in the derivation)
                    cols[:, :, :, k, l] = slab(xp, k, l, ho, wo, s, d)
        wm = ws.array(self, "wm", (kh, kw, c, layer.out_channels), layer.dtype)
        np.copyto(wm, W.data.transpose(2, 3, 1, 0))  # Wm[(k,l,c), f] = W[f,c,k,l]
        z = channels_last(ws, self, "z", (n, layer.out_channels, ho, wo), layer.dtype)
        zh = z.transpose(0, 2, 3, 1)  # (N, H', W', F), contiguous
        np.matmul(cols.reshape(n * ho * wo, -1), wm.reshape(-1, layer.out_channels),
                  out=zh.reshape(n * ho * wo, -1))  # Z = cols Wm
        zh.reshape(n * ho, wo * layer.out_channels)[...] += repeated(ws, self, "b_rows", b.data, wo)
        self.cols, self.wm, self.padded_shape, self.input_shape = cols, wm, xp.shape, x.shape
        return z

    def backward(self, dout, ws, need_dx: bool):
        """dWm = colsᵀ dZ, db = Σ_rows dZ (into .grad); dcols = dZ Wmᵀ, col2im: for each offset
        (k, l), dXp[:, s·i + d·k, s·j + d·l] += dcols[:, i, j, k, l]; dX = dXp cropped by p."""
        layer, cols, wm = self.layer, self.cols, self.wm
        W, b = layer._params["W"], layer._params["b"]
        n, ho, wo, kh, kw, c = cols.shape
        f = layer.out_channels
        dz = nhwc(ws, self, "dz", dout).reshape(n * ho * wo, f)  # (N·H'·W', F)
        cols2 = cols.reshape(n * ho * wo, kh * kw * c)
        dwm = np.matmul(cols2.T, dz, out=ws.array(self, "dwm", (kh * kw * c, f), layer.dtype))
        np.copyto(W.grad, dwm.reshape(kh, kw, c, f).transpose(3, 2, 0, 1))  # dW[f,c,k,l]
        # db = Σ_rows dZ, summed over the (N·H', W'·F) rows first (over (N·H'·W', F) rows of 16
        # or 32 values the sum runs about 3× slower)
        row_sum = ws.array(self, "db_rows", (wo * f,), layer.dtype)
        channel_sums(np.einsum("nf->f", dz.reshape(n * ho, wo * f), out=row_sum), wo, b.grad)
        if not need_dx:
            return None
        s, p, d = layer.stride, layer.padding, getattr(layer, "dilation", 1)
        dxp = ws.array(self, "dxp", self.padded_shape, layer.dtype)
        dxp[...] = 0
        # dcols one kernel offset at a time: dcols[:, k, l] = dZ Wm[k, l]ᵀ, then added onto its
        # slab. The same products as one dZ Wmᵀ, but each add reads a contiguous (N, H', W', C)
        # block (measured ~2× faster for the CLI's CNN than one GEMM and a strided col2im).
        dcols = ws.array(self, "dcols", (n * ho * wo, c), layer.dtype)
        for k in range(kh):
            for l in range(kw):  # noqa: E741
                np.matmul(dz, wm[k, l].T, out=dcols)
                slab(dxp, k, l, ho, wo, s, d)[...] += dcols.reshape(n, ho, wo, c)
        _, _, h, w = self.input_shape
        return dxp[:, p:p + h, p:p + w].transpose(0, 3, 1, 2)  # (N, C, H, W), channels last
