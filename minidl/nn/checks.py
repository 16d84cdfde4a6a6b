"""The one-line input checks of the layers' forward and backward (SPEC §4).

Each returns the array to compute with, or raises an error that names the module, the
shape it got and the shape it expected, so a layer's arithmetic stays free of branches.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array, check_shape


def checked_input(module, x, shape: tuple | None = None, dtype=None) -> np.ndarray:
    """``x`` as an array of ``dtype`` (None: any float; integers become float64).

    ``shape`` holds the expected sizes, ``None`` for a free one (printed ``N``); None
    checks no shape. The batch (first) axis must not be empty.
    """
    where = f"{module!r}.forward"
    x = as_array(x, where)
    if shape is not None:
        check_shape(x, shape, where)
    if x.ndim and x.shape[0] == 0:
        raise ValueError(f"{where}: got an empty batch of shape {x.shape}")
    if dtype is None:
        return x if x.dtype.kind == "f" else x.astype(np.float64)
    return np.asarray(x, dtype=dtype)


def last_axis(x, width: int) -> tuple:
    """The shape ``checked_input`` holds a last-axis layer's input to: (N, width) for up to
    two axes, (N, ·, …, width) for more (only the last axis is fixed)."""
    ndim = np.ndim(x)
    return (None, width) if ndim <= 2 else (None,) * (ndim - 1) + (width,)


def checked_dout(module, dout, shape: tuple, dtype=None) -> np.ndarray:
    """``dout`` as an array of the forward output's ``shape`` (and of ``dtype`` when given)."""
    dout = np.asarray(dout)
    if dout.dtype.kind not in "biuf":
        raise TypeError(f"{module!r}.backward: expected dout to be a numeric array (the gradient of "
                        f"the loss with respect to the forward output), got dtype {dout.dtype}")
    if dout.shape != tuple(shape):
        raise ValueError(f"{module!r}.backward: expected dout of shape {tuple(shape)} "
                         f"(the shape of the forward output), got {dout.shape}")
    if dtype is None:
        return dout if dout.dtype.kind == "f" else dout.astype(np.float64)
    return np.asarray(dout, dtype=dtype)
