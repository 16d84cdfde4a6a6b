"""``model.summary(...)``: a Keras-style table of a model's layers.

One row per leaf layer (in the order they run): its dotted name and repr, its output
shape, its parameter count and the bytes it caches for backward. Shapes and cached bytes
are measured, not derived: one training-mode forward of the example batch (zeros of
``input_shape`` when a shape is given), with a forward hook on every layer to see its
output, inside ``undisturbed`` so the caches, running statistics, random streams and
train/eval mode it touches are put back afterwards.

Example:
    >>> print(Sequential(Dense(4, 3, dtype="float64"), ReLU()).summary((2, 4)))
    layer           output shape  parameters  cached for backward
    0 Dense(4 → 3)  (2, 3)                15                 64 B
    1 ReLU()        (2, 3)                 0                  6 B
    total           (2, 3)                15                 70 B
    batch of 2, float64; parameters take 120 B (and as much again for their gradients)
"""

from __future__ import annotations

import numpy as np

from .memory import _nbytes
from .snapshot import undisturbed

HEADER = ("layer", "output shape", "parameters", "cached for backward")


def summary(model, batch) -> str:
    """The table for ``model`` on ``batch``: an example array, or a shape (tuple of ints,
    the batch axis included) for a batch of zeros in the parameters' dtype."""
    x = _example(model, batch)
    leaves = [(name, m) for name, m in model.named_modules() if not any(m.children())]
    shapes: dict[int, tuple] = {}
    with undisturbed(model):
        model.train()
        hooks = [m.register_forward_hook(_recorder(shapes, i)) for i, (_, m) in enumerate(leaves)]
        try:
            out = model(x)
        finally:
            for hook in hooks:
                hook.remove()
        seen: set = set()
        cached = [_nbytes(m.cache, seen) for _, m in leaves]
    rows = [(f"{name} {m!r}".strip().replace("\n", " "), str(shapes.get(i, "not run")),
             f"{m.num_parameters():,}", _bytes(c))
            for i, ((name, m), c) in enumerate(zip(leaves, cached, strict=True))]
    rows.append(("total", str(np.shape(out)), f"{model.num_parameters():,}", _bytes(sum(cached))))
    param_bytes = sum(p.data.nbytes for p in model.parameters())
    footer = (f"batch of {x.shape[0]}, {x.dtype}; parameters take {_bytes(param_bytes)} "
              f"(and as much again for their gradients)")
    return _table(rows) + "\n" + footer


def _example(model, batch) -> np.ndarray:
    if isinstance(batch, tuple) and all(isinstance(d, (int, np.integer)) for d in batch):
        if len(batch) < 2 or min(batch) < 1:
            raise ValueError(f"{type(model).__name__}.summary: input_shape must include the "
                             f"batch axis and be positive, e.g. (1, 784); got {batch}")
        dtype = next((p.dtype for p in model.parameters()), np.dtype("float32"))
        return np.zeros(batch, dtype=dtype)
    x = np.asarray(batch)
    if x.ndim < 1 or len(x) == 0:
        raise ValueError(f"{type(model).__name__}.summary: expected an input shape such as "
                         f"(1, 784) or an example batch, got an array of shape {x.shape}")
    return x


def _recorder(shapes: dict, index: int):
    def record(module, args, out):
        shapes.setdefault(index, np.shape(out))  # a layer run twice shows its first output
    return record


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KiB" if n < 2**20 else f"{n / 2**20:.1f} MiB"


def _table(rows: list[tuple]) -> str:
    """Left-aligned names and shapes, right-aligned numbers."""
    lines = [HEADER, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    text = []
    for line in lines:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1]),
                 line[2].rjust(widths[2]), line[3].rjust(widths[3])]
        text.append("  ".join(cells).rstrip())
    return "\n".join(text)
