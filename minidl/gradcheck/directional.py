"""Fast mode: check a gradient along a few random directions instead of element by element.

Owns ``check_directional`` (``check_module(..., fast=True)``): 2 forward passes per
direction whatever the tensor's size; a direction that crosses a kink is replaced. Why
it works and how likely a bug is to slip through: docs/gradcheck/directional-checks.md.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validate import as_generator
from .frozen import frozen
from .kinks import REFINE, central_with_kinks, disagree, fails, second_look, slopes
from .numerical import check_precision, default_eps, tolerances
from .probe import probe, run_backward_twice
from .report import GradcheckReport, compare, one_line


def check_directional(module, x, *, rng=None, directions: int = 2, rtol=None, atol=None,
                      eps=None, check_params: bool = True) -> GradcheckReport:
    """Compare ``module.backward`` with finite differences along random directions.

    Args:
        module: any ``minidl.Module``.
        x: an input batch; it is copied, never modified.
        rng: seed or Generator for G and the directions.
        directions: random unit directions per tensor (each costs 2 forward passes).
        rtol, atol: as for ``check_module`` (defaults by dtype); they apply to the
            directional derivatives, which have the size of one gradient element.
        eps: step along the direction (default ``∛ε · max(1, max|T|)``).
        check_params: also check every parameter.

    Returns:
        A ``GradcheckReport`` with one row per tensor (``dx``, ``0.W``, …); its
        ``worst index`` is the number of the worst direction, and ``numeric`` and
        ``analytic`` are the two directional derivatives there.

    Example:
        >>> model = mlp([784, 256, 10], rng=0, dtype="float64")
        >>> check_directional(model, np.ones((32, 784)), rng=0).ok
        True
    """
    if directions < 1:
        raise ValueError(f"check_directional: directions must be at least 1, got {directions}")
    x = np.array(x, copy=True)
    check_precision(x, "check_directional")
    rtol, atol = tolerances(x.dtype, rtol, atol)
    rng = as_generator(rng)
    title = (f"check_directional {one_line(module)}  [{x.dtype}, {directions} random directions "
             f"per tensor, rtol {rtol:g}, atol {atol:g}]")
    report = GradcheckReport(title)
    with frozen(module):
        G, loss = probe(module, x, rng)
        named = list(module.named_parameters()) if check_params else []
        f0, dx, first, notes = run_backward_twice(module, loss, G, named)
        tensors = [("dx", x, dx, "")]
        tensors += [(name, param.data, first[name], notes[name]) for name, param in named]
        for name, array, analytic, note in tensors:
            a, n, kinks = _along_directions(loss, array, analytic, f0, rng, directions,
                                            eps, rtol, atol)
            if kinks.all():
                # Every direction crossed a corner (an input exactly on a ReLU's kink is
                # crossed by all of them): judge this tensor element by element instead.
                n, kinks = central_with_kinks(loss, array, analytic, f0, eps, rtol, atol)
                report.rows.append(compare(name, analytic, n, rtol=rtol, atol=atol,
                                           kink_mask=kinks, note=note))
                continue
            row = compare(name, a, n, rtol=rtol, atol=atol, kink_mask=kinks, note=note)
            report.rows.append(dataclasses.replace(row, shape=array.shape))
    return report


def _along_directions(loss, array, analytic, f0, rng, directions, eps, rtol, atol):
    """Analytic and numeric directional derivatives of ``loss`` w.r.t. ``array`` along random
    unit directions, and which directions crossed a corner. Draws until ``directions`` are
    corner-free or ``2 · directions`` were tried."""
    h = float(default_eps(np.max(np.abs(array), initial=0.0)) if eps is None else eps)
    a_values, n_values, kinks = [], [], []
    while len(a_values) - sum(kinks) < directions and len(a_values) < 2 * directions:
        u = rng.standard_normal(array.shape)
        u /= max(np.linalg.norm(u), 1e-300)
        f_plus, f_minus, a = _step(loss, array, analytic, h * u)
        one_sided = slopes(f_plus, f_minus, f0, h)
        n, corner = (f_plus - f_minus) / (2 * h), bool(disagree(one_sided, atol))
        if not corner and fails(a, n, rtol, atol):
            plus_small, minus_small, a = _step(loss, array, analytic, h / REFINE * u)
            n, corner, _ = second_look(a, one_sided, plus_small, minus_small, f0, h, rtol, atol)
        a_values.append(a)
        n_values.append(n)
        kinks.append(bool(corner))
    return np.array(a_values), np.array(n_values), np.array(kinks)


def _step(loss, array, analytic, step):
    """``loss`` at ``array ± step`` (set in place, then restored) and the analytic
    derivative along the step actually taken, per unit of the step's intended length."""
    original = array.copy()
    array[...] = original + step
    plus, f_plus = array.astype(np.float64), loss()
    array[...] = original - step
    minus, f_minus = array.astype(np.float64), loss()
    array[...] = original
    # Rounding to the array's dtype changes the step a little; measure the one taken.
    taken = (plus - minus) / (2 * np.linalg.norm(step))
    return f_plus, f_minus, float(np.vdot(analytic, taken))
