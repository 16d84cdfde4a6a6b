"""What the exporters share: their error, the optional-package gate, and facts read off a model."""

from __future__ import annotations

import importlib

import numpy as np

from ..nn.module import Module


class ExportError(Exception):
    """A model (or a layer in it) cannot be exported, or the export cannot be written; the
    message says which layer or path and why."""


def require(package: str, extra: str, what: str):
    """Import ``package`` for ``what``, or raise ``ExportError`` saying how to install it."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise ExportError(f"{what} needs the {package!r} package, which is not installed here: "
                          f"pip install \"minidl[{extra}]\" (or pip install {extra})") from None


def model_dtype(model: Module) -> np.dtype:
    """The dtype the model computes in: that of its first parameter or buffer (float32 if none)."""
    for array in [p.data for p in model.parameters()] + model.buffers():
        return array.dtype
    for _, module in model.named_modules():
        if isinstance(getattr(module, "dtype", None), np.dtype):
            return module.dtype
    return np.dtype(np.float32)


def input_width(model: Module) -> int | None:
    """The row width the model's first layer takes (``in_features``, ``num_features``, or a
    PatchEmbedding's C·H·W), or ``None`` when that layer does not fix it (an activation, a
    layer on (N, T, E) tokens). The first layer is found by descending into first children:
    a width stated deeper in (a Dense inside a Residual) is not the model's input width."""
    from ..nn.containers import Sequential
    from ..nn.layers import PatchEmbedding

    first = model
    while isinstance(first, Sequential) and len(first):
        first = first[0]
    if isinstance(first, PatchEmbedding):
        return first.in_channels * first.image_size ** 2
    for attribute in ("in_features", "num_features"):
        if isinstance(getattr(first, attribute, None), int):
            return getattr(first, attribute)
    return None


def lookup(table: dict, module, direction: str):
    """The mapping registered for ``type(module)`` (or a registered parent it does not change).

    A subclass that overrides ``forward`` (a student's edited copy) computes something else
    than its parent, so it is refused rather than exported as the parent's math.
    """
    for cls in type(module).__mro__:
        if cls in table:
            if cls is not type(module) and type(module).forward is not cls.forward:
                raise ExportError(f"{direction}: {type(module).__name__} overrides {cls.__name__}.forward, "
                                  f"so exporting it as {cls.__name__} would change its outputs; register a "
                                  f"mapping for {type(module).__name__}")
            return table[cls]
    known = ", ".join(sorted(cls.__name__ for cls in table))
    raise ExportError(f"{direction}: no mapping for layer {module!r} (type {type(module).__name__}); "
                      f"exportable layer types: {known}")
