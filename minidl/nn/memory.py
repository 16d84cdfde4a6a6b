"""How much memory a model holds: parameters, gradients, optimizer state, and the
activations each layer caches for backward at a given batch size.

The cache sizes are measured, not estimated: one training-mode forward on a batch of
zeros, then the bytes in every layer's ``cache``, inside ``undisturbed`` so that
everything the forward touches (running statistics, Dropout's RNG, earlier caches, the
train/eval mode) is put back afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass

import numpy as np

from .snapshot import undisturbed


def _nbytes(value, seen: set) -> int:
    """Bytes of the arrays in a cache entry (an array, or a tuple of arrays and flags).

    An array two layers both cache (Tanh's output is the next Dense's input) is counted
    once, for the first layer; a broadcast view (Dropout's eval-mode ones) owns nothing.
    """
    if isinstance(value, np.ndarray):
        if id(value) in seen or (value.size > 1 and not all(value.strides)):
            return 0
        seen.add(id(value))
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v, seen) for v in value)
    if is_dataclass(value):  # e.g. checkpointing's SegmentStart
        return sum(_nbytes(getattr(value, f.name), seen) for f in fields(value))
    return 0


@dataclass
class MemoryReport:
    """Bytes per layer, and totals; ``table()`` prints it."""

    batch_size: int
    rows: list[dict] = field(default_factory=list)
    optimizer_bytes: int = 0

    @property
    def cached_bytes(self) -> int:
        return sum(r["cached_bytes"] for r in self.rows)

    @property
    def parameter_bytes(self) -> int:
        return sum(r["parameter_bytes"] for r in self.rows)

    def table(self) -> str:
        w = max([28] + [len(r["name"]) for r in self.rows])  # long conv reprs keep the columns aligned
        lines = [f"memory at batch size {self.batch_size}",
                 f"{'layer':{w}s} {'cached for backward':>20s} {'parameters':>12s} {'gradients':>12s}"]
        for r in self.rows:
            lines.append(f"{r['name']:{w}s} {_mib(r['cached_bytes']):>20s} {_mib(r['parameter_bytes']):>12s} "
                         f"{_mib(r['parameter_bytes']):>12s}")
        lines.append(f"{'total':{w}s} {_mib(self.cached_bytes):>20s} {_mib(self.parameter_bytes):>12s} "
                     f"{_mib(self.parameter_bytes):>12s}")
        if self.optimizer_bytes:
            lines.append(f"optimizer state: {_mib(self.optimizer_bytes)}")
        return "\n".join(lines)

    __str__ = table


def _mib(n: int) -> str:
    return f"{n / 2**20:.3f} MiB"


def memory_report(model, batch_size: int, *, input_dim: int | tuple | None = None,
                  optimizer=None) -> MemoryReport:
    """Measure ``model``'s memory for one training step at ``batch_size``.

    Args:
        model: a Module (its first layer's row width, ``introspect.input_width``, or else
            the first ``in_features`` of its layers gives the input width).
        batch_size: N.
        input_dim: the input width, if the model does not say; or one sample's shape, e.g.
            (1, 28, 28) for a model that starts with a Conv2d.
        optimizer: include its per-parameter state (momentum, Adam's moments).
    """
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    containers = [m for _, m in model.named_modules() if list(m.children())]
    if input_dim is None:
        from .introspect import input_width  # introspect → containers → module → memory: import late
        input_dim = input_width(model)
    if input_dim is None:
        input_dim = next((m.in_features for _, m in leaves if hasattr(m, "in_features")), None)
        if input_dim is None:
            raise ValueError("memory_report: cannot tell the input width; pass input_dim=")
    sample = tuple(input_dim) if isinstance(input_dim, tuple | list) else (input_dim,)
    dtype = next((p.dtype for p in model.parameters()), np.dtype("float32"))
    with undisturbed(model):
        model.train()
        model(np.zeros((batch_size, *sample), dtype=dtype))
        report, seen = MemoryReport(batch_size), set()
        for name, m in leaves:
            params = sum(p.data.nbytes for p in m.parameters())
            cached = _nbytes(m.cache, seen)
            report.rows.append({"name": f"{name} {m!r}".strip(), "cached_bytes": cached,
                                "parameter_bytes": params})
        kept = sum(_nbytes(m.cache, seen) for m in containers)
        if kept:  # gradient checkpointing: the segment inputs a container keeps
            report.rows.append({"name": "segment boundaries (recompute)", "cached_bytes": kept,
                                "parameter_bytes": 0})
    if optimizer is not None:
        state = optimizer.state_dict()["state"]
        report.optimizer_bytes = sum(a.nbytes for arrays in state.values() for a in arrays)
    return report
