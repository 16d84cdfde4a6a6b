"""Finite differences against a module's or a loss's hand-written backward.

A module maps x to an array ``out``; to get one scalar we contract it with a
random upstream gradient G: ``L = Σ G ⊙ out``, so ``∂L/∂out = G`` and the
hand-written ``backward(G)`` must return ∂L/∂x and accumulate ∂L/∂θ for every
parameter θ — which central differences of L estimate independently.

Kinks: where the function has a corner within one step h of the point (ReLU at
0, ties of a max), the two one-sided slopes ``(f(x+h) − f(x))/h`` and
``(f(x) − f(x−h))/h`` disagree. An element whose analytic value lies between
them there is on a kink — reported, never a failure — so a correct ReLU never
fails by bad luck, while a wrong one still does.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator
from .numerical import central_differences, check_precision
from .report import GradcheckReport, compare

# (rtol, atol floor) per dtype; see report.py for how they are applied.
TOLERANCES = {
    np.dtype("float64"): (1e-6, 1e-3),
    np.dtype("float32"): (2e-2, 1e-1),
}


def tolerances(dtype, rtol=None, atol=None) -> tuple[float, float]:
    default_rtol, default_atol = TOLERANCES[np.dtype(dtype)]
    return (default_rtol if rtol is None else rtol, default_atol if atol is None else atol)


def one_line(module) -> str:
    """``Sequential(Dense(4 → 8), ReLU())``: a module's repr on a single line."""
    children = [child for _, child in module.children()]
    if not children:
        return repr(module)
    return f"{type(module).__name__}({', '.join(one_line(c) for c in children)})"


def _numeric_and_kinks(f, x: np.ndarray, analytic: np.ndarray, f0: float, eps, rtol: float):
    """Central differences of ``f`` over ``x``, plus a mask of elements sitting on kinks."""
    f_plus, f_minus, h = central_differences(f, x, eps)
    numeric = (f_plus - f_minus) / (2 * h)
    forward = (f_plus - f0) / h
    backward = (f0 - f_minus) / h
    scale = np.abs(forward) + np.abs(backward)
    one_sided_disagree = np.abs(forward - backward) > 1e-2 * np.maximum(scale, 1e-12)
    lo, hi = np.minimum(forward, backward), np.maximum(forward, backward)
    slack = rtol * scale + 1e-12
    between = (analytic >= lo - slack) & (analytic <= hi + slack)
    return numeric, one_sided_disagree & between


def check_module(module, x, *, rng=None, rtol=None, atol=None, eps=None,
                 check_params: bool = True) -> GradcheckReport:
    """Compare ``module.backward`` with central differences for the input and every parameter.

    Args:
        module: any ``minidl.Module`` (parameters in float64 for a certifying check).
        x: an input batch; it is copied, never modified.
        rng: seed or Generator for the random upstream gradient G.
        rtol, atol: pass threshold and per-element floor (defaults by dtype).
        eps: finite-difference step (default ``∛ε · max(1, |x|)``).
        check_params: also check every parameter (default True).

    Returns:
        A ``GradcheckReport`` with rows ``dx`` and one per parameter (``W``, ``0.b``, …).
        The module's ``.grad`` arrays are left as they were. The report also says
        whether ``backward`` accumulates (a second call must double every gradient).

    Example:
        >>> check_module(Dense(3, 2, rng=0, dtype="float64"), np.ones((4, 3)), rng=0).ok
        True
    """
    x = np.array(x, copy=True)
    check_precision(x, "check_module")
    rtol, atol = tolerances(x.dtype, rtol, atol)
    G = as_generator(rng).standard_normal(np.shape(module.forward(x))).astype(x.dtype)
    named = list(module.named_parameters()) if check_params else []
    saved = [param.grad.copy() for _, param in named]

    def loss(_=None) -> float:
        return float(np.sum(G * module.forward(x), dtype=np.float64))

    module.zero_grad()
    f0 = loss()
    dx = np.array(module.backward(G), dtype=np.float64)
    first = {name: param.grad.astype(np.float64) for name, param in named}
    module.backward(G)
    doubled = {name: param.grad.astype(np.float64) for name, param in named}

    report = GradcheckReport(f"check_module {one_line(module)}  [{x.dtype}, rtol {rtol:g}, atol {atol:g}]")
    numeric, kinks = _numeric_and_kinks(loss, x, dx, f0, eps, rtol)
    report.rows.append(compare("dx", dx, numeric, rtol=rtol, atol=atol, kink_mask=kinks))
    for (name, param), saved_grad in zip(named, saved):
        numeric, kinks = _numeric_and_kinks(loss, param.data, first[name], f0, eps, rtol)
        accumulates = np.allclose(doubled[name], 2 * first[name], rtol=1e-9, atol=1e-12)
        note = "" if accumulates else "backward overwrote .grad instead of accumulating (+=)"
        report.rows.append(compare(name, first[name], numeric, rtol=rtol, atol=atol,
                                   kink_mask=kinks, note=note))
        param.grad[...] = saved_grad
    return report


def check_loss(loss_fn, pred, target, *, rtol=None, atol=None, eps=None) -> GradcheckReport:
    """Compare ``loss_fn.backward()`` with central differences of ``loss_fn(pred, target)``.

    Example:
        >>> check_loss(SoftmaxCrossEntropy(), np.zeros((2, 3)), np.array([0, 2])).ok
        True
    """
    pred = np.array(pred, copy=True)
    check_precision(pred, "check_loss")
    rtol, atol = tolerances(pred.dtype, rtol, atol)

    def loss(_=None) -> float:
        return float(loss_fn(pred, target))

    f0 = loss()
    analytic = np.array(loss_fn.backward(), dtype=np.float64)
    numeric, kinks = _numeric_and_kinks(loss, pred, analytic, f0, eps, rtol)
    report = GradcheckReport(f"check_loss {loss_fn!r}  [{pred.dtype}, rtol {rtol:g}, atol {atol:g}]")
    report.rows.append(compare("dpred", analytic, numeric, rtol=rtol, atol=atol, kink_mask=kinks))
    return report
