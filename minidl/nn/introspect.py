"""What a model says about its inputs: the dtype it computes in and the row width it takes.

The command line (``eval``, ``predict``) and the exporters read both off a loaded model.
"""

from __future__ import annotations

import math

import numpy as np

from .containers import Sequential
from .layers import PatchEmbedding, Reshape
from .module import Module


def model_dtype(model: Module) -> np.dtype:
    """The dtype the model computes in: that of its first parameter or buffer (float32 if none)."""
    for array in [p.data for p in model.parameters()] + model.buffers():
        return array.dtype
    for _, module in model.named_modules():
        if isinstance(getattr(module, "dtype", None), np.dtype):
            return module.dtype
    return np.dtype(np.float32)


def input_width(model: Module) -> int | None:
    """The row width the model's first layer takes (``in_features``, ``num_features``, a
    PatchEmbedding's C·H·W or a Reshape's product of sizes), or ``None`` when that layer
    does not fix it (an activation, a layer on (N, T, E) tokens). The first layer is found
    by descending into first children: a width stated deeper in (a Dense inside a Residual)
    is not the model's input width."""
    first = model
    while isinstance(first, Sequential) and len(first):
        first = first[0]
    if isinstance(first, PatchEmbedding):
        return first.in_channels * first.image_size ** 2
    if isinstance(first, Reshape):  # flat rows made images (models.cnn): D = prod(shape)
        return math.prod(first.shape)
    for attribute in ("in_features", "num_features"):
        if isinstance(getattr(first, attribute, None), int):
            return getattr(first, attribute)
    return None
