"""Catching a forward that writes into its input.

``np.maximum(x, a * x, out=x)`` in a student's LeakyReLU changes the caller's array:
the layer before it (which cached that array as its output) now backpropagates through
the wrong values, and a finite-difference check nudges an x that the forward itself
keeps rewriting. Both symptoms point away from the culprit, so the checks look for it
directly: one forward on a copy of the batch, each module's input compared before and
after its own ``forward``.
"""

from __future__ import annotations

import numpy as np

from .frozen import frozen
from .report import TensorCheck, one_line


def inplace_culprit(model, x: np.ndarray) -> tuple[str, float] | None:
    """``(name, largest change)`` of the innermost module whose ``forward`` modified its
    input array, or None. ``model`` is left as it was (``frozen``)."""
    changed: list[tuple[bool, str, float]] = []
    modules = list(model.named_modules())
    with frozen(model):
        for name, module in modules:
            module.__dict__["forward"] = _watched(module, name, changed)
        try:
            model.forward(np.array(x, copy=True))
        finally:
            for _, module in modules:
                module.__dict__.pop("forward", None)
    if not changed:
        return None
    # A leaf that wrote into x changed its container's input too: blame the leaf.
    leaf, name, delta = min(changed, key=lambda entry: not entry[0])
    return name, delta


def inplace_row(model, x: np.ndarray) -> TensorCheck | None:
    """A failing report row naming the module whose forward modified its input, or None."""
    found = inplace_culprit(model, x)
    if found is None:
        return None
    name, delta = found
    module = dict(model.named_modules())[name]
    where = f"{name} {one_line(module)}".strip()
    note = (f"{where}.forward modified its input in place (by up to {delta:.3g}); the layer "
            "before it then backpropagates through changed values: compute into a new array")
    return TensorCheck("input", np.shape(x), delta, np.inf, np.inf, (), np.nan, np.nan,
                       False, note=note)


def _watched(module, name: str, changed: list):
    """``module``'s own forward, recording when it changes the array it was given."""
    forward = type(module).forward.__get__(module)

    def watched(x, *args, **kwargs):
        before = np.array(x, copy=True) if isinstance(x, np.ndarray) else None
        out = forward(x, *args, **kwargs)
        if before is not None and before.shape == x.shape and not np.array_equal(
                before, x, equal_nan=before.dtype.kind in "fc"):
            leaf = not any(module.children())
            delta = float(np.max(np.abs(x.astype(np.float64) - before.astype(np.float64))))
            changed.append((leaf, name, delta))
        return out

    return watched
