"""What the exporters share: their error, the optional-package gate, and facts read off a model."""

from __future__ import annotations

import importlib


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
