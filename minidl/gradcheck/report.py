"""The result of a gradient check: one row per tensor, printed as a table.

Errors are measured three ways (CS231n's conventions, with a floor):

- ``max_abs_error = max |a − n|`` (a = analytic, n = numeric);
- ``rel_error = ‖a − n‖ / max(‖a‖ + ‖n‖, tiny)``, one number for the whole tensor;
- ``max_rel_error = max_i |a_i − n_i| / max(|a_i| + |n_i|, atol)``: per element,
  with ``atol`` as a floor so elements whose true gradient is ~0 are judged by
  their absolute error instead of blowing up. A tensor passes when
  ``max_rel_error ≤ rtol``.

Elements marked as sitting on a kink are left out of all three and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def one_line(module) -> str:
    """``Sequential(Dense(4 → 8), ReLU())``: a module's repr on a single line, for titles.

    A subclass is shown by its own name (``StudentDense(4 → 3)``), even where the
    parent's ``__repr__`` spells the parent's: the report must name the code checked.
    """
    name = type(module).__name__
    children = [child for _, child in module.children()]
    if children:
        return f"{name}({', '.join(one_line(c) for c in children)})"
    text = repr(module)
    shown = text.split("(", 1)[0]
    return name + text[len(shown):] if shown != name else text


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

    @property
    def verdict(self) -> str:
        """``PASS`` or ``FAIL``, saying how many elements sat on kinks (not judged)."""
        result = "PASS" if self.passed else "FAIL"
        if self.kinks and self.kinks == int(np.prod(self.shape)):
            return f"{result} (all {self.kinks} at kinks: unchecked, see cross_check)"
        return f"{result} ({self.kinks} at kinks)" if self.kinks else result


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray, *, rtol: float, atol: float,
            kink_mask: np.ndarray | None = None, note: str = "") -> TensorCheck:
    """Build a ``TensorCheck`` for ``analytic`` vs ``numeric``; ``kink_mask`` marks elements
    sitting on a non-differentiable point, which are reported but never fail the check."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        return TensorCheck(name, n.shape, np.inf, np.inf, np.inf, (), np.nan, np.nan, False,
                           note=f"analytic gradient has shape {a.shape}, expected {n.shape}")
    kinks = np.zeros(a.shape, dtype=bool) if kink_mask is None else kink_mask
    # Errors are measured over the judged elements: a kink's difference is meaningless.
    diff = np.where(kinks, 0.0, np.abs(a - n))
    judged = diff / np.maximum(np.abs(a) + np.abs(n), max(atol, np.finfo(np.float64).tiny))
    worst = np.unravel_index(int(np.argmax(judged)), a.shape) if a.size else ()
    norm = float(np.linalg.norm(np.where(kinks, 0.0, a)) + np.linalg.norm(np.where(kinks, 0.0, n)))
    passed = bool(a.size == 0 or judged.max() <= rtol) and not note
    return TensorCheck(
        name=name, shape=a.shape,
        max_abs_error=float(diff.max()) if a.size else 0.0,
        rel_error=float(np.linalg.norm(diff) / max(norm, 1e-300)),
        max_rel_error=float(judged.max()) if a.size else 0.0,
        worst_index=tuple(int(i) for i in worst),
        numeric=float(n[worst]) if a.size else 0.0,
        analytic=float(a[worst]) if a.size else 0.0,
        passed=passed, kinks=int(kinks.sum()), note=note,
    )


@dataclass
class GradcheckReport:
    """Per-tensor results of one check; ``ok`` is True when every row passed.

    ``reference`` names the column the hand-written gradient is compared with:
    ``"numeric"`` for finite differences, ``"engine"`` for the autodiff engine.
    """

    title: str
    rows: list[TensorCheck] = field(default_factory=list)
    reference: str = "numeric"

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
                  self.reference, "analytic", "result")
        lines = [header]
        for r in self.rows:
            result = r.verdict + (f" — {r.note}" if r.note else "")
            lines.append((r.name, str(r.shape), f"{r.max_abs_error:.2e}", f"{r.rel_error:.2e}",
                          f"{r.max_rel_error:.2e}", str(r.worst_index), f"{r.numeric:.6g}",
                          f"{r.analytic:.6g}", result))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
        text = [self.title]
        for line in lines:
            cells = zip(line[:-1], widths, strict=True)
            text.append("  ".join(cell.ljust(w) for cell, w in cells) + "  " + line[-1])
        return "\n".join(text)

    __str__ = table

    def raise_if_failed(self) -> GradcheckReport:
        """Raise ``GradcheckError`` (message: the table) unless every tensor passed."""
        if not self.ok:
            raise GradcheckError(
                f"gradient check failed for {', '.join(self.failed)}\n{self.table()}")
        return self
