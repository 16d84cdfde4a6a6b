"""Planned Residual and Tokenwise: the containers opened up, their inner layers planned."""

from __future__ import annotations

import numpy as np

from .base import Kernel
from .chain import Chain


class ContainerKernel(Kernel):
    """A container with one inner module (``layer.module``), whose layers run as a ``Chain``."""

    def __init__(self, layer):
        super().__init__(layer)
        self.chain = Chain(layer.module)

    @classmethod
    def supports(cls, layer) -> bool:
        from ..planner import leaf_layers  # the planner imports the registry: imported here

        return bool(leaf_layers(layer.module))  # an empty Sequential inside: its own methods

    @property
    def overwrites_grads(self) -> bool:
        return self.chain.overwrites_grads


class ResidualKernel(ContainerKernel):
    """``Y = X + f(X)`` with f's layers run as planned kernels; backward is the sum rule
    ``dX = dY + f.backward(dY)`` (docs/derivations/attention.md §6), dY kept intact for the
    second path while f's backward runs."""

    def forward(self, x, ws):
        # f reads X and may cache it, so f never writes over it; X + f(X) goes over f(X)
        # when no backward reads that array
        inner = self.chain.forward(x, ws, first_input_is_scratch=False)
        if not isinstance(x, np.ndarray) or x.shape != inner.shape or x.dtype != inner.dtype:
            x = np.asarray(x, dtype=inner.dtype)
            if x.shape != inner.shape:
                raise ValueError(f"{self.layer!r}.forward: the wrapped {self.layer.module!r} maps "
                                 f"{x.shape} to {inner.shape}; a residual needs the same shape in and out")
        out = inner if self.chain.output_is_scratch else ws.array(self, "out", inner.shape, inner.dtype)
        return np.add(x, inner, out=out)

    def backward(self, dout, ws, need_dx: bool):
        """dX = dY + f.backward(dY): the two paths' gradients add."""
        through = self.chain.backward(dout, ws, need_dx, last_dout_is_scratch=False)
        if not need_dx:
            return None
        if self.dout_is_scratch:
            out = dout
        elif self.chain.returns_own_dx:
            out = through
        else:
            out = ws.array(self, "dx", dout.shape, dout.dtype)
        return np.add(dout, through, out=out)


class TokenwiseKernel(ContainerKernel):
    """``Y = f(X as N·T rows)`` back to (N, T, ·), f's layers planned; backward is the
    inverse reshape around f's: ``dX = f.backward(dY as N·T rows)`` as (N, T, D). A reshape
    of a contiguous array is a view, so nothing is copied."""

    @property
    def output_is_scratch(self) -> bool:
        return self.chain.output_is_scratch

    def forward(self, x, ws):
        x = np.asarray(x)
        if x.ndim != 3:
            self.layer(x)  # raises the layer's own error, naming the shape
        n, t, d = self.shape = x.shape
        out = self.chain.forward(x.reshape(n * t, d), ws, self.input_is_scratch)
        return out.reshape(n, t, out.shape[-1])

    def backward(self, dout, ws, need_dx: bool):
        """dX = f.backward(dY as N·T rows), as X's shape."""
        dx = self.chain.backward(dout.reshape(-1, dout.shape[-1]), ws, need_dx, self.dout_is_scratch)
        return None if dx is None else dx.reshape(self.shape)
