"""The fully connected (affine) layer ``Z = X W + b``."""

from __future__ import annotations

import numpy as np

from .._validate import as_array, as_float_dtype, check_shape, positive_int
from ..init import get_initializer
from ..module import Module, Parameter


class Dense(Module):
    """Affine map ``Z = X W + b`` (``backprop-mlp-layers.md`` §8).

    Args:
        in_features: D, the width of each input row.
        out_features: H, the width of each output row.
        rng: seed or ``numpy.random.Generator`` for the weight draw.
        dtype: ``"float32"`` (default), ``"float64"`` or ``"float16"``; inputs are
            cast to it, so float32 work never silently becomes float64.
        init: weight initialiser name (``minidl.init.INITIALIZERS``); the bias starts at 0.

    Shape:
        X: (N, D) → Z: (N, H).

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
        self._cache = None

    def forward(self, x) -> np.ndarray:
        """Z = X W + b, caching X for ``dW = Xᵀ dZ``."""
        if not (isinstance(x, np.ndarray) and x.dtype == self.dtype and x.ndim == 2
                and x.shape[1] == self.in_features and x.shape[0]):
            x = self._checked_input(x)  # the slow path: conversions and clear errors
        self._cache = x
        params = self._params  # one dict look-up instead of two attribute misses, every step
        z = np.matmul(x, params["W"].data, out=self._array("z", (x.shape[0], self.out_features), self.dtype))
        z += params["b"].data  # (N, H)
        return z

    def _checked_input(self, x) -> np.ndarray:
        x = as_array(x, f"{self!r}.forward")
        check_shape(x, (None, self.in_features), f"{self!r}.forward")
        if x.shape[0] == 0:
            raise ValueError(f"{self!r}.forward: got an empty batch of shape {x.shape}")
        return x.astype(self.dtype, copy=False)

    def backward(self, dout) -> np.ndarray:
        """Z = X W + b  ⇒  dX = dZ Wᵀ,  dW += Xᵀ dZ,  db += Σ_n dZ[n].

        The three boxed equations of ``backprop-mlp-layers.md`` §8; the parameter
        gradients accumulate (``+=``) so two backward calls add up.
        """
        dout = self._accumulate(dout)
        dx = self._array("dx", (dout.shape[0], self.in_features), self.dtype)
        return np.matmul(dout, self._params["W"].data.T, out=dx)  # (N, D)

    def backward_params(self, dout) -> None:
        """dW += Xᵀ dZ,  db += Σ_n dZ[n], skipping dX = dZ Wᵀ (the input is data)."""
        if type(self).backward is not Dense.backward:
            self.backward(dout)  # a subclass's own backward (a student's copy) is the one to run
            return
        self._accumulate(dout)

    def _accumulate(self, dout) -> np.ndarray:
        x = self._cached()
        if not (isinstance(dout, np.ndarray) and dout.dtype == self.dtype
                and dout.shape == (x.shape[0], self.out_features)):
            dout = self._check_dout(dout, (x.shape[0], self.out_features)).astype(self.dtype, copy=False)
        W, b = self._params["W"], self._params["b"]
        # Each term goes straight into .grad when a lazy zero_grad is pending, else it is added.
        W.add_grad(np.matmul(x.T, dout, out=W.grad_slot(self._array("dW", W.shape, self.dtype))))  # (D, H)
        b.add_grad(np.add.reduce(dout, axis=0, out=b.grad_slot(self._array("db", b.shape, self.dtype))))
        return dout

    def get_config(self) -> dict:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "dtype": self.dtype.name, "init": self.init}

    def extra_repr(self) -> str:
        return f"{self.in_features} → {self.out_features}"

    def __repr__(self) -> str:
        # Used inside error messages while __init__ is still running, hence getattr.
        return f"Dense({getattr(self, 'in_features', '?')} → {getattr(self, 'out_features', '?')})"
