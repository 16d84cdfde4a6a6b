"""Planned PatchEmbedding, PositionalEmbedding and MeanOverTokens, into reused arrays."""

from __future__ import annotations

import numpy as np

from ...nn.checks import checked_input
from .attention import tokens_of
from .base import Kernel, input_of


class PatchEmbeddingKernel(Kernel):
    """Z = R(X) W + b with R(X) copied into one reused (N·T, C·p²) array; dW = R(X)ᵀ dZ,
    db = Σ dZ (into ``.grad``), dX = R⁻¹(dZ Wᵀ) only when asked (it is usually the data)."""

    def forward(self, x, ws):
        layer = self.layer
        width = layer.in_channels * layer.image_size ** 2
        x = input_of(layer, x, width, layer.dtype)
        n, t, e = x.shape[0], layer.num_tokens, layer.embed_dim
        patch_width = layer.W.shape[0]
        patches = ws.array(self, "patches", (n * t, patch_width), layer.dtype)
        c, g, p = layer.in_channels, layer.image_size // layer.patch_size, layer.patch_size
        # R(X): the image's (C, gy, py, gx, px) axes copied straight into (gy, gx, C, py, px)
        # order (the layer's reshape of the permuted view would copy into a new array first)
        grid = x.reshape(n, c, g, p, g, p).transpose(0, 2, 4, 1, 3, 5)       # (N, gy, gx, C, py, px)
        np.copyto(patches.reshape(n, g, g, c, p, p), grid)
        self.patches = patches
        z = ws.array(self, "z", (n * t, e), layer.dtype)
        np.matmul(self.patches, layer._params["W"].data, out=z)
        z += layer._params["b"].data
        return z.reshape(n, t, e)

    def backward(self, dout, ws, need_dx: bool):
        """dW = R(X)ᵀ dZ,  db = Σ dZ,  dX = R⁻¹(dZ Wᵀ)."""
        layer = self.layer
        W, b = layer._params["W"], layer._params["b"]
        dz = dout.reshape(-1, layer.embed_dim)
        np.matmul(self.patches.T, dz, out=W.grad)
        np.add.reduce(dz, axis=0, out=b.grad)
        if not need_dx:
            return None
        n = dout.shape[0]
        dpatches = np.matmul(dz, W.data.T, out=ws.array(self, "dpatches", self.patches.shape, layer.dtype))
        c, g, p = layer.in_channels, layer.image_size // layer.patch_size, layer.patch_size
        dx = ws.array(self, "dx", (n, c * layer.image_size ** 2), layer.dtype)
        # R⁻¹: the inverse permutation, written straight into the rows
        grid = dpatches.reshape(n, g, g, c, p, p).transpose(0, 3, 1, 4, 2, 5)  # (N, C, gy, py, gx, px)
        np.copyto(dx.reshape(n, c, g, p, g, p), grid)
        return dx


class PositionalEmbeddingKernel(Kernel):
    """Y = X + P (over X when it may be written over); dP = Σ_n dY[n], dX = dY."""

    def forward(self, x, ws):
        layer = self.layer
        x = tokens_of(layer, x, layer.embed_dim, layer.dtype)
        if x.shape[1] != layer.num_tokens:
            checked_input(layer, x, (None, layer.num_tokens, layer.embed_dim))  # raises, naming the shape
        out = x if self.input_is_scratch else ws.array(self, "out", x.shape, x.dtype)
        return np.add(x, layer._params["P"].data, out=out)

    def backward(self, dout, ws, need_dx: bool):
        """dP = Σ_n dY[n],  dX = dY (a copy, unless dY may be written over anyway)."""
        np.add.reduce(dout, axis=0, out=self.layer._params["P"].grad)
        if not need_dx:
            return None
        if self.dout_is_scratch:
            return dout
        dx = ws.array(self, "dx", dout.shape, dout.dtype)
        np.copyto(dx, dout)
        return dx


class MeanOverTokensKernel(Kernel):
    """Y = (1/T) Σ_t X[:, t]; dX[:, t] = dY / T for every t, into one reused array."""

    def forward(self, x, ws):
        layer = self.layer
        if not (isinstance(x, np.ndarray) and x.dtype == layer.dtype and x.ndim == 3 and x.shape[0]):
            x = checked_input(layer, x, (None, None, None), layer.dtype)
        self.shape = x.shape
        n, _, e = x.shape
        out = np.add.reduce(x, axis=1, out=ws.array(self, "out", (n, e), x.dtype))
        out /= x.shape[1]  # a sum then a division: np.mean with out= allocates a temporary
        return out

    def backward(self, dout, ws, need_dx: bool):
        """dX[:, t] = dY / T."""
        if not need_dx:
            return None
        n, t, e = self.shape
        return np.divide(dout[:, None, :], t, out=ws.array(self, "dx", self.shape, dout.dtype))
