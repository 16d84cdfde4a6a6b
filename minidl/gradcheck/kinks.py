"""Corners of f (ReLU at 0, ties of a max): a correct backward must never fail on them.

A central difference ``(f(x+h) − f(x−h)) / 2h`` that straddles a corner measures
the average of two slopes, not a derivative. The one-sided slopes
``(f(x+h) − f(x))/h`` and ``(f(x) − f(x−h))/h`` reveal it by their *gap*: where
f is smooth it is ``h·|f''|``, tiny and proportional to h; where a corner lies
within one step it is a jump of the slope, whatever h.

1. Slopes that disagree by more than 1% mean a corner (no smooth f does that at
   h ≈ 6e-6, unless its slope is ~0, hence a floor).
2. Otherwise an element that would fail gets a second look at the step h/16. If the
   estimate there agrees with the analytic value, the corner lay between h/16
   and h, and that clean estimate is the one judged. If the gap kept its size
   (curvature's shrinks ~16-fold, rounding noise's grows as much), a corner lies
   within h/16 (an input exactly on a ReLU's kink, whose weight in the slope may
   be far below 1%).

At a corner no derivative exists, and an element there is *on a kink*: counted
in the report, never failed. Test 1 also asks that the analytic value lie between
the two slopes (a one-sided derivative, as ReLU′(0) = 0 is), so a wrong mask
still fails there. Test 2 cannot: where several corners meet (a row of zeros
into ``Dense → ReLU`` puts every unit of that sample on its kink at once) the
convention ReLU′(0) = 0 need not give either one-sided slope. A wrong backward
still fails on the elements that are not on corners, and ``cross_check`` judges
every element, corners included (the engine keeps the same convention). Only
would-be failures are examined, so elements that pass keep the estimate with the
least rounding error and are never called kinks.
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
