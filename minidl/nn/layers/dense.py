"""The fully connected (affine) layer ``Z = X W + b``."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input, last_axis
from ..init import get_initializer
from ..module import Module, Parameter
from ..registry import register_module


@register_module
class Dense(Module):
    """Affine map ``Z = X W + b`` (``backprop-mlp-layers.md`` §8).

    Args:
        in_features: D, the width of each input row.
        out_features: H, the width of each output row.
        rng: seed or ``numpy.random.Generator`` for the weight draw.
        dtype: ``"float32"`` (default), ``"float64"`` or ``"float16"``; inputs are
            cast to it, so float32 work never silently becomes float64.
        init: weight initialiser name (``minidl.nn.init.INITIALIZERS``); the bias starts at 0.

    Shape:
        X: (N, D) → Z: (N, H); more generally (N, ..., D) → (N, ..., H), the same map on
        every row of the last axis (each time step of an (N, T, D) sequence).

    Attributes:
        W: (D, H) weights, ``dW`` their gradient; b: (H,) bias, ``db`` its gradient.

    Example:
        >>> layer = Dense(3, 2, rng=0)
        >>> layer(np.ones((4, 3))).shape
        (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, *, rng=None,
                 dtype="float32", init: str = "he"):
        where = f"Dense({in_features} → {out_features})"
        self.in_features = positive_int(in_features, "in_features", where)
        self.out_features = positive_int(out_features, "out_features", where)
        self.dtype = as_float_dtype(dtype, where)
        self.init = init
        draw = get_initializer(init)
        self.W = Parameter(draw((self.in_features, self.out_features), rng, self.dtype))
        self.b = Parameter(np.zeros(self.out_features, dtype=self.dtype))

    def forward(self, x) -> np.ndarray:
        """Z = X W + b, caching X for ``dW = Xᵀ dZ``.

        An (N, ..., D) input is read as its rows: X.reshape(M, D) with M = N·…, the
        output reshaped back to (N, ..., H). A reshape moves no numbers.
        """
        x = checked_input(self, x, last_axis(x, self.in_features), self.dtype)
        self.cache = x
        rows = x.reshape(-1, self.in_features)                          # (M, D)
        z = rows @ self.W + self.b                                      # (M, H)
        return z.reshape(x.shape[:-1] + (self.out_features,))           # (N, ..., H)

    def backward(self, dout) -> np.ndarray:
        """Z = X W + b  ⇒  dX = dZ Wᵀ,  dW += Xᵀ dZ,  db += Σ_n dZ[n].

        The three boxed equations of ``backprop-mlp-layers.md`` §8; the parameter
        gradients accumulate (``+=``) so two backward calls add up. For (N, ..., D)
        inputs the sums run over all M rows (every sample and time step).
        """
        x = self.cached()
        dout = checked_dout(self, dout, x.shape[:-1] + (self.out_features,), self.dtype)
        rows = x.reshape(-1, self.in_features)            # (M, D)
        drows = dout.reshape(-1, self.out_features)       # (M, H)
        self.dW += rows.T @ drows         # (D, H)
        self.db += drows.sum(axis=0)      # (H,)
        return (drows @ self.W.T).reshape(x.shape)        # (N, ..., D)

    def get_config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "dtype": self.dtype.name, "init": self.init}

    def extra_repr(self) -> str:
        return f"{self.in_features} → {self.out_features}"

    def __repr__(self) -> str:
        # Used inside error messages while __init__ is still running, hence getattr.
        return f"Dense({getattr(self, 'in_features', '?')} → {getattr(self, 'out_features', '?')})"
