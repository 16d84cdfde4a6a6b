"""Corners of f (ReLU at 0, ties of a max): a correct backward must never fail on them.

Owns the kink tests shared by the finite-difference checks: one-sided slopes that
disagree, and a second look at h/REFINE for would-be failures. The reasoning, and what
"on a kink" means in a report: docs/gradcheck/kinks.md.
"""

from __future__ import annotations

import numpy as np

from .numerical import central_differences

REFINE = 16  # the second look uses the step h / REFINE


def slopes(f_plus, f_minus, f0, h):
    """The forward and backward one-sided slopes."""
    return (f_plus - f0) / h, (f0 - f_minus) / h


def disagree(one_sided, atol: float):
    """Test 1: the one-sided slopes differ by more than 1% of their size (floored at
    ``atol``, as in ``report.compare``, so that near-zero slopes are not all corners)."""
    forward, backward = one_sided
    scale = np.abs(forward) + np.abs(backward)
    return np.abs(forward - backward) > 1e-2 * np.maximum(scale, atol)


def between(analytic, one_sided, rtol: float):
    """Whether ``analytic`` lies between the two one-sided slopes (with a little slack)."""
    forward, backward = one_sided
    slack = rtol * (np.abs(forward) + np.abs(backward)) + 1e-12
    return (np.minimum(forward, backward) - slack <= analytic) & \
        (analytic <= np.maximum(forward, backward) + slack)


def fails(analytic, numeric, rtol: float, atol: float):
    """The per-element pass rule of ``report.compare``, negated."""
    return np.abs(analytic - numeric) > rtol * np.maximum(np.abs(analytic) + np.abs(numeric), atol)


def second_look(analytic, one_sided, f_plus_small, f_minus_small, f0, h, rtol, atol):
    """Test 2, from f at ±h/REFINE: ``(numeric to judge, corner?, one-sided slopes there)``.

    A corner here means the estimate at h/REFINE still disagrees with ``analytic``
    and the gap kept its size: curvature's would shrink ~REFINE-fold, and the
    rounding noise of a piecewise-linear f (whose true gap is 0) grow as much.
    """
    small = h / REFINE
    small_sided = slopes(f_plus_small, f_minus_small, f0, small)
    central = (f_plus_small - f_minus_small) / (2 * small)
    if not fails(analytic, central, rtol, atol):
        return central, False, small_sided
    gap, small_gap = (abs(s[0] - s[1]) for s in (one_sided, small_sided))
    # A corner's gap keeps its size; curvature's shrinks by REFINE, rounding noise's grows by it.
    return central, bool(gap / 4 < small_gap < 4 * gap), small_sided


def central_with_kinks(f, x: np.ndarray, analytic: np.ndarray, f0: float, eps,
                       rtol: float, atol: float):
    """Central differences of ``f`` over ``x`` element by element, each would-be failure
    looked at twice; returns ``(numeric, on_kink mask)``. ``f0 = f(x)``."""
    f_plus, f_minus, h = central_differences(f, x, eps)
    numeric = (f_plus - f_minus) / (2 * h)
    one_sided = slopes(f_plus, f_minus, f0, h)
    failing = fails(analytic, numeric, rtol, atol)
    kinks = failing & disagree(one_sided, atol) & between(analytic, one_sided, rtol)
    for index in map(tuple, np.argwhere(failing & ~kinks)):
        original, small = x[index], h[index] / REFINE
        x[index] = original + small
        plus = f(x)
        x[index] = original - small
        minus = f(x)
        x[index] = original
        sided = (one_sided[0][index], one_sided[1][index])
        numeric[index], kinks[index], _ = second_look(analytic[index], sided, plus, minus, f0,
                                                      h[index], rtol, atol)
    return numeric, kinks
