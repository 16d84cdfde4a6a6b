"""``Tokenwise(module)``: a row-wise module applied to every token of (N, T, D) inputs."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .module import Module
from .registry import register_module


@register_module
class Tokenwise(Module):
    """Apply a module written for rows (N, D) to each token: (N, T, D) → (N, T, D').

    The tokens are stacked as N·T rows, ``Y = f(X.reshape(N·T, D)).reshape(N, T, D')``
    (Keras's ``TimeDistributed``). A reshape moves no numbers, so the backward is the
    inverse reshape around f's backward: ``dX = f.backward(dY.reshape(N·T, D')).reshape(N, T, D)``.
    f's parameters are this module's, named ``module.W`` and so on.

    Example:
        >>> from minidl import Dense
        >>> Tokenwise(Dense(4, 3, rng=0))(np.zeros((2, 5, 4))).shape
        (2, 5, 3)
    """

    def __init__(self, module: Module):
        if not isinstance(module, Module):
            raise TypeError(f"Tokenwise: expected a Module, got {type(module).__name__}")
        self.module = module

    def children(self) -> Iterator[tuple[str, Module]]:
        yield "module", self.module

    def forward(self, x):
        """Y = f(X as N·T rows), back to (N, T, ·)."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"Tokenwise({self.module!r}).forward: expected tokens of shape (N, T, D), "
                             f"got {x.shape}")
        n, t, d = x.shape
        self.cache = x.shape
        out = self.module(x.reshape(n * t, d))
        return out.reshape(n, t, out.shape[-1])

    def backward(self, dout):
        """dX = f.backward(dY as N·T rows), reshaped back to X's shape."""
        shape = self.cached()
        dout = np.asarray(dout)
        return self.module.backward(dout.reshape(-1, dout.shape[-1])).reshape(shape)

    def get_config(self) -> dict:
        return {}
