"""The 2-d convolution layer (a cross-correlation, as in every deep-learning framework)."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input
from ..init import get_initializer
from ..module import Module, Parameter
from ..registry import register_module
from .windows import check_image, output_size, pair, windows


@register_module
class Conv2d(Module):
    """``Z[n,f,i,j] = Σ_{c,k,l} Xp[n,c,s·i+d·k,s·j+d·l] W[f,c,k,l] + b[f]``
    (docs/derivations/convolution.md §1, §8; Xp is X zero-padded by p, d the dilation).

    Args:
        in_channels: C.  out_channels: F.
        kernel_size: int or (KH, KW).
        stride: s ≥ 1.  padding: p ≥ 0 zeros on every side.
        dilation: d ≥ 1, the spacing of the kernel's taps (PyTorch's ``dilation``; 1: adjacent),
            so a K-tap kernel spans d·(K − 1) + 1 pixels.
        rng: seed or Generator for the weights.  dtype: parameter and compute dtype.
        init: weight initialiser (fan-in C·KH·KW, fan-out F·KH·KW); the bias starts at 0.

    Shape:
        X: (N, C, H, W) → Z: (N, F, H', W'), H' = (H + 2p − d·(KH − 1) − 1) // s + 1 (PyTorch's).

    Attributes:
        W: (F, C, KH, KW) (PyTorch's layout), b: (F,); gradients dW, db.

    Example:
        >>> Conv2d(1, 4, 3, padding=1, rng=0)(np.zeros((2, 1, 5, 6))).shape
        (2, 4, 5, 6)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride: int = 1,
                 padding: int = 0, dilation: int = 1, *, rng=None, dtype="float32", init: str = "he"):
        where = f"Conv2d({in_channels} → {out_channels})"
        self.in_channels = positive_int(in_channels, "in_channels", where)
        self.out_channels = positive_int(out_channels, "out_channels", where)
        self.kernel_size = pair(kernel_size, "kernel_size", where)
        self.stride = positive_int(stride, "stride", where)
        if not isinstance(padding, int | np.integer) or isinstance(padding, bool) or padding < 0:
            raise ValueError(f"{where}: padding must be an int ≥ 0, got {padding!r}")
        self.padding = int(padding)
        self.dilation = positive_int(dilation, "dilation", where)
        self.dtype = as_float_dtype(dtype, where)
        self.init = init
        kh, kw = self.kernel_size
        # Drawn as the (C·KH·KW, F) matrix an im2col Dense layer would hold, so He's scale uses
        # fan_in = C·KH·KW (PyTorch's); Xavier's fan_out is then F rather than F·KH·KW.
        flat = get_initializer(init)((self.in_channels * kh * kw, self.out_channels), rng, self.dtype)
        self.W = Parameter(flat.T.reshape(self.out_channels, self.in_channels, kh, kw))
        self.b = Parameter(np.zeros(self.out_channels, dtype=self.dtype))

    def forward(self, x) -> np.ndarray:
        """Z = Σ_{c,k,l} V ⊙ W + b over the window view V of Xp, caching Xp (backward views it again)."""
        x = checked_input(self, x, None, self.dtype)
        check_image(self, x, self.in_channels, self.kernel_size, self.stride, self.padding,
                    self.dilation)
        p = self.padding
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # (N, C, H + 2p, W + 2p)
        # The cache is the padded input itself: backward takes the same window view of it
        # again (a view costs nothing), so the memory report sees the bytes really held.
        self.cache = xp
        v = windows(xp, *self.kernel_size, self.stride, self.dilation)  # (N, C, H', W', KH, KW)
        # n: sample, c: input channel, i, j: output row, column, k, l: kernel row, column,
        # f: output channel; Σ over c, k, l.
        z = np.einsum("ncijkl,fckl->nfij", v, self.W, optimize=True)  # (N, F, H', W')
        return z + self.b[:, None, None]

    def backward(self, dout) -> np.ndarray:
        """convolution.md §2–3, §8:  dW[f,c,k,l] += Σ_{n,i,j} dZ[n,f,i,j] Xp[n,c,s·i+d·k,s·j+d·l],
        db[f] += Σ_{n,i,j} dZ[n,f,i,j],
        dXp[n,c,s·i+d·k,s·j+d·l] += Σ_f dZ[n,f,i,j] W[f,c,k,l]  (the full correlation of the
        stride-dilated dZ with the flipped, d-dilated kernel, as a scatter-add),
        dX = dXp cropped by p.
        """
        xp = self.cached()
        (kh, kw), s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        v = windows(xp, kh, kw, s, d)  # (N, C, H', W', KH, KW), the forward's view again
        n, _, ho, wo, _, _ = v.shape
        dout = checked_dout(self, dout, (n, self.out_channels, ho, wo), self.dtype)
        self.dW += np.einsum("nfij,ncijkl->fckl", dout, v, optimize=True)  # (F, C, KH, KW)
        self.db += dout.sum(axis=(0, 2, 3))  # (F,)
        dxp = np.zeros_like(xp)  # (N, C, H + 2p, W + 2p)
        for k in range(kh):
            for l in range(kw):  # noqa: E741  (l is the kernel column, as in the derivation)
                # the pixels kernel tap (k, l) read, one per output (i, j): Σ over f
                dxp[:, :, d * k:d * k + s * ho:s, d * l:d * l + s * wo:s] += np.einsum(
                    "nfij,fc->ncij", dout, self.W[:, :, k, l], optimize=True)
        return dxp[:, :, p:xp.shape[2] - p, p:xp.shape[3] - p]  # (N, C, H, W)

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """(F, H', W') for an (H, W) input."""
        (kh, kw), s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        return self.out_channels, output_size(height, kh, s, p, d), output_size(width, kw, s, p, d)

    def get_config(self) -> dict:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": self.stride,
                "padding": self.padding, "dilation": self.dilation, "dtype": self.dtype.name,
                "init": self.init}

    def __repr__(self) -> str:
        # Used inside error messages while __init__ is still running, hence getattr.
        kh, kw = getattr(self, "kernel_size", ("?", "?"))
        text = f"Conv2d({getattr(self, 'in_channels', '?')} → {getattr(self, 'out_channels', '?')}, {kh}×{kw}"
        if getattr(self, "stride", 1) != 1:
            text += f", stride={self.stride}"
        if getattr(self, "padding", 0):
            text += f", padding={self.padding}"
        if getattr(self, "dilation", 1) != 1:
            text += f", dilation={self.dilation}"
        return text + ")"
