"""A regression model's last layer: predictions back in the target's own units."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module


@register_module
class Rescale(Module):
    """``Y = X ⊙ scale + offset`` per output, with fixed (not trained) ``scale`` and ``offset``.

    ``minidl train --task regression`` trains on standardised targets ``(t − mean) / std``
    (so the learning rate means the same whatever the target's units) and saves the model
    with ``Rescale(scale=std, offset=mean)`` last, so that it predicts in the original units.

    Shape:
        X: (N, D) → Y: (N, D).

    Example:
        >>> Rescale.fitted(scale=[10.0], offset=[3.0], dtype="float64")(np.array([[0.5]]))
        array([[8.]])
    """

    def __init__(self, num_features: int, *, dtype="float32"):
        where = f"Rescale({num_features})"
        self.num_features = positive_int(num_features, "num_features", where)
        self.dtype = as_float_dtype(dtype, where)
        self.register_buffer("scale", np.ones(self.num_features, dtype=self.dtype))
        self.register_buffer("offset", np.zeros(self.num_features, dtype=self.dtype))

    @classmethod
    def fitted(cls, scale, offset, *, dtype="float32") -> Rescale:
        """A ``Rescale`` with the given per-output ``scale`` (finite, nonzero) and ``offset``."""
        scale, offset = np.asarray(scale, dtype=np.float64), np.asarray(offset, dtype=np.float64)
        if scale.ndim != 1 or scale.shape != offset.shape:
            raise ValueError(f"Rescale.fitted: scale and offset must both have shape (D,), "
                             f"got {scale.shape} and {offset.shape}")
        if not (np.isfinite(scale).all() and np.isfinite(offset).all() and (scale != 0).all()):
            raise ValueError("Rescale.fitted: scale must be finite and nonzero, offset finite")
        layer = cls(len(scale), dtype=dtype)
        layer.scale, layer.offset = scale, offset
        return layer

    def forward(self, x):
        x = checked_input(self, x, (None, self.num_features))
        self.cache = x.shape
        return (x * self.scale + self.offset).astype(self.dtype, copy=False)

    def backward(self, dout):
        """``Y = X ⊙ scale + offset``  ⇒  ``dX = dY ⊙ scale`` (the buffers get no gradient)."""
        dout = checked_dout(self, dout, self.cached())
        return dout * self.scale

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "dtype": self.dtype.name}

    def extra_repr(self) -> str:
        return str(self.num_features)
