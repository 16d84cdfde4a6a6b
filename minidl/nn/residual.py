"""``Residual(module)``: a skip connection ``y = x + f(x)``, the sum rule made a container."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .checks import checked_dout
from .module import Module
from .registry import register_module


@register_module
class Residual(Module):
    """``Y = X + f(X)`` for a module f whose output has its input's shape.

    Backward is the sum rule (docs/derivations/attention.md §6): X reaches the loss
    directly and through f, so ``dX = dY + f.backward(dY)``. f's parameters are this
    module's, named ``module.W`` and so on.

    Example:
        >>> from minidl import Dense
        >>> block = Residual(Dense(4, 4, rng=0))
        >>> block(np.zeros((2, 4))).shape
        (2, 4)
    """

    def __init__(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"Residual: expected a Module, got {type(module).__name__}")
        self.module = module

    def children(self) -> Iterator[tuple[str, Module]]:
        yield "module", self.module

    def forward(self, x):
        """Y = X + f(X); f keeps its own cache, this module keeps only the shape."""
        out = self.module(x)
        x = np.asarray(x, dtype=out.dtype)  # float32 in gives float32 out
        if out.shape != x.shape:
            raise ValueError(f"{self!r}.forward: the wrapped {self.module!r} maps {x.shape} to "
                             f"{out.shape}; a residual needs the same shape in and out")
        self.cache = (x.shape, out.dtype)
        return x + out

    def backward(self, dout):
        """Y = X + f(X)  ⇒  dX = dY + f.backward(dY)  (two paths, their gradients add)."""
        shape, dtype = self.cached()
        dout = checked_dout(self, dout, shape, dtype)
        return dout + self.module.backward(dout)

    def get_config(self) -> dict:
        return {}
