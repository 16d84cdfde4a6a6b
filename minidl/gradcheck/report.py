"""The result of a gradient check: one row per tensor, printed as a table.

Errors are measured three ways (CS231n's conventions, with a floor):

- ``max_abs_error = max |a − n|`` (a = analytic, n = numeric);
- ``rel_error = ‖a − n‖ / max(‖a‖ + ‖n‖, tiny)``, one number for the whole tensor;
- ``max_rel_error = max_i |a_i − n_i| / max(|a_i| + |n_i|, atol)``: per element,
  with ``atol`` as a floor so elements whose true gradient is ~0 are judged by
  their absolute error instead of blowing up. A tensor passes when
  ``max_rel_error ≤ rtol``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class GradcheckError(AssertionError):
    """Raised by ``raise_if_failed``; its message is the report table."""


@dataclass
class TensorCheck:
    """How one tensor's analytic gradient compares with the reference."""

    name: str
    shape: tuple
    max_abs_error: float
    rel_error: float
    max_rel_error: float
    worst_index: tuple
    numeric: float
    analytic: float
    passed: bool
    kinks: int = 0
    note: str = ""


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray, *, rtol: float, atol: float,
            kink_mask: np.ndarray | None = None, note: str = "") -> TensorCheck:
    """Build a ``TensorCheck`` for ``analytic`` vs ``numeric``; ``kink_mask`` marks elements
    sitting on a non-differentiable point, which are reported but never fail the check."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        return TensorCheck(name, n.shape, np.inf, np.inf, np.inf, (), np.nan, np.nan, False,
                           note=f"analytic gradient has shape {a.shape}, expected {n.shape}")
    diff = np.abs(a - n)
    elem = diff / np.maximum(np.abs(a) + np.abs(n), atol)
    kinks = np.zeros(a.shape, dtype=bool) if kink_mask is None else kink_mask
    judged = np.where(kinks, 0.0, elem)
    worst = np.unravel_index(int(np.argmax(judged)), a.shape) if a.size else ()
    norm = float(np.linalg.norm(a) + np.linalg.norm(n))
    passed = bool(a.size == 0 or judged.max() <= rtol) and not note
    return TensorCheck(
        name=name, shape=a.shape,
        max_abs_error=float(diff.max()) if a.size else 0.0,
        rel_error=float(np.linalg.norm(a - n) / max(norm, 1e-300)),
        max_rel_error=float(judged.max()) if a.size else 0.0,
        worst_index=tuple(int(i) for i in worst),
        numeric=float(n[worst]) if a.size else 0.0,
        analytic=float(a[worst]) if a.size else 0.0,
        passed=passed, kinks=int(kinks.sum()), note=note,
    )


@dataclass
class GradcheckReport:
    """Per-tensor results of one check; ``ok`` is True when every row passed."""

    title: str
    rows: list[TensorCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(row.passed for row in self.rows)

    def __getitem__(self, name: str) -> TensorCheck:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no tensor {name!r} in this report; have {[r.name for r in self.rows]}")

    @property
    def failed(self) -> list[str]:
        """Names of the tensors that failed."""
        return [row.name for row in self.rows if not row.passed]

    def table(self) -> str:
        header = ("tensor", "shape", "max abs err", "rel err", "max rel err", "worst index",
                  "numeric", "analytic", "result")
        lines = [header]
        for r in self.rows:
            result = "PASS" if r.passed else "FAIL"
            if r.kinks:
                result += f" ({r.kinks} at kinks)"
            if r.note:
                result += f" — {r.note}"
            lines.append((r.name, str(r.shape), f"{r.max_abs_error:.2e}", f"{r.rel_error:.2e}",
                          f"{r.max_rel_error:.2e}", str(r.worst_index), f"{r.numeric:.6g}",
                          f"{r.analytic:.6g}", result))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        text = [self.title]
        for line in lines:
            text.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)) + "  " + line[-1])
        return "\n".join(text)

    __str__ = table

    def raise_if_failed(self) -> GradcheckReport:
        """Raise ``GradcheckError`` (message: the table) unless every tensor passed."""
        if not self.ok:
            raise GradcheckError(f"gradient check failed for {', '.join(self.failed)}\n{self.table()}")
        return self
