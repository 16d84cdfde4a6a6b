"""The input normalisation fitted at training time, as a model's first layer."""

from __future__ import annotations

import numpy as np

from ..._validate import as_float_dtype, positive_int
from ..checks import checked_dout, checked_input
from ..module import Module
from ..registry import register_module


@register_module
class Normalize(Module):
    """``Y = (X − offset) / divisor`` per feature, with fixed (not trained) ``offset`` and ``divisor``.

    ``minidl train`` fits the normalisation on the training split and saves the model
    with this layer in front, so a loaded model takes raw features: ``model(raw_x)``,
    ``model.predict(raw_x)``. Both vectors are buffers: saved by ``state_dict``, never
    touched by optimizers.

    Args:
        num_features: D, the width of each input row.
        dtype: the dtype of the output and of the buffers.

    Shape:
        X: (N, D) → Y: (N, D).

    Example:
        >>> norm = Normalize.fitted(offset=[1.0, 0.0], divisor=[2.0, 10.0], dtype="float64")
        >>> norm(np.array([[3.0, 5.0]]))
        array([[1. , 0.5]])
    """

    def __init__(self, num_features: int, *, dtype="float32"):
        where = f"Normalize({num_features})"
        self.num_features = positive_int(num_features, "num_features", where)
        self.dtype = as_float_dtype(dtype, where)
        self.register_buffer("offset", np.zeros(self.num_features, dtype=self.dtype))
        self.register_buffer("divisor", np.ones(self.num_features, dtype=self.dtype))

    @classmethod
    def fitted(cls, offset, divisor, *, dtype="float32") -> Normalize:
        """A ``Normalize`` with the given per-feature ``offset`` and ``divisor`` (> 0)."""
        offset, divisor = np.asarray(offset, dtype=np.float64), np.asarray(divisor, dtype=np.float64)
        if offset.ndim != 1 or offset.shape != divisor.shape:
            raise ValueError(f"Normalize.fitted: offset and divisor must both have shape (D,), "
                             f"got {offset.shape} and {divisor.shape}")
        if not (np.isfinite(offset).all() and np.isfinite(divisor).all() and (divisor > 0).all()):
            raise ValueError("Normalize.fitted: offset must be finite and divisor finite and positive")
        layer = cls(len(offset), dtype=dtype)
        layer.offset, layer.divisor = offset, divisor
        return layer

    def forward(self, x):
        x = checked_input(self, x, (None, self.num_features))
        self.cache = x.shape
        return ((x - self.offset) / self.divisor).astype(self.dtype, copy=False)

    def backward(self, dout):
        """``Y = (X − offset) / divisor``  ⇒  ``dX = dY / divisor`` (the buffers get no gradient)."""
        dout = checked_dout(self, dout, self.cached())
        return dout / self.divisor

    def get_config(self) -> dict:
        return {"num_features": self.num_features, "dtype": self.dtype.name}

    def extra_repr(self) -> str:
        return str(self.num_features)
