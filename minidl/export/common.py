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
    """The feature count of the model's first layer that states one (``in_features`` or
    ``num_features``), or ``None`` when no layer before it fixes the width."""
    for _, module in model.named_modules():
        for attribute in ("in_features", "num_features"):
            if isinstance(getattr(module, attribute, None), int):
                return getattr(module, attribute)
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
