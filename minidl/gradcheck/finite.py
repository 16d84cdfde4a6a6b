"""Finite differences against a module's or a loss's hand-written backward.

A module's output is contracted with a random upstream gradient G into the
scalar ``L = Σ G ⊙ out`` (``probe.py``); the hand-written ``backward(G)`` must
return ∂L/∂x and accumulate ∂L/∂θ for every parameter θ — which central
differences of L estimate independently, one element at a time.

Kinks: where the function has a corner within one step h of the point (ReLU at
0, ties of a max), the central difference is meaningless; such elements are
looked at again with a smaller step and, if truly on a corner, reported but
never failed (``kinks.py``), so a correct ReLU never fails by bad luck, while a
wrong one still does.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_generator
from .directional import check_directional
from .frozen import frozen
from .inplace import inplace_row
from .kinks import central_with_kinks
from .numerical import check_precision, numerical_grad, tolerances
from .probe import probe, run_backward_twice
from .report import GradcheckReport, compare, one_line


def check_module(module, x, *, rng=None, rtol=None, atol=None, eps=None,
                 check_params: bool = True, fast: bool = False,
                 scheme: str = "central") -> GradcheckReport:
    """Compare ``module.backward`` with central differences for the input and every parameter.

    Args:
        module: any ``minidl.Module`` (parameters in float64 for a certifying check).
        x: an input batch; it is copied, never modified.
        rng: seed or Generator for the random upstream gradient G.
        rtol, atol: pass threshold and per-element floor (defaults by dtype).
        eps: finite-difference step (default ``∛ε · max(1, |x|)``).
        check_params: also check every parameter (default True).
        fast: check along random directions instead of element by element
            (``check_directional``): O(1) forward passes per tensor, for big models.
        scheme: the finite-difference scheme of ``numerical_grad`` ("central", with the
            kink handling below; "forward", "fourth", "richardson"). Not "complex": a
            module's numpy forward is not a function of complex input.

    Returns:
        A ``GradcheckReport`` with rows ``dx`` and one per parameter (``W``, ``0.b``, …).
        The report also says whether ``backward`` accumulates (a second call must
        double every gradient), and fails with a row ``input`` naming the layer when a
        forward modifies its input array in place. The module is left as it was (``frozen``).

    Example:
        >>> check_module(Dense(3, 2, rng=0, dtype="float64"), np.ones((4, 3)), rng=0).ok
        True
    """
    if fast:
        return check_directional(module, x, rng=rng, rtol=rtol, atol=atol, eps=eps,
                                 check_params=check_params)
    if scheme not in ("central", "forward", "fourth", "richardson"):
        raise ValueError(f"check_module: scheme must be central, forward, fourth or richardson, "
                         f"got {scheme!r}")
    x = np.array(x, copy=True)
    params = module.parameters()
    if params and x.dtype.kind == "f" and x.dtype != params[0].dtype:
        x = x.astype(params[0].dtype)  # the layer computes in its own dtype: judge it in that one
    check_precision(x, "check_module")
    rtol, atol = tolerances(x.dtype, rtol, atol)
    title = f"check_module {one_line(module)}  [{x.dtype}, rtol {rtol:g}, atol {atol:g}]"
    report = GradcheckReport(title)
    modified = inplace_row(module, x)
    if modified is not None:  # the finite differences below would nudge a moving x
        report.rows.append(modified)
    with frozen(module):
        G, loss = probe(module, x, as_generator(rng))
        named = list(module.named_parameters()) if check_params else []
        f0, dx, first, notes = run_backward_twice(module, loss, G, named)
        numeric, kinks = _numeric(loss, x, dx, f0, eps, rtol, atol, scheme)
        report.rows.append(compare("dx", dx, numeric, rtol=rtol, atol=atol, kink_mask=kinks))
        for name, param in named:
            numeric, kinks = _numeric(loss, param.data, first[name], f0, eps, rtol, atol,
                                      scheme)
            report.rows.append(compare(name, first[name], numeric, rtol=rtol, atol=atol,
                                       kink_mask=kinks, note=notes[name]))
    return report


def _numeric(loss, x, analytic, f0, eps, rtol, atol, scheme):
    """``(numeric, on_kink mask)``: central differences with their kink handling, or another
    scheme's estimate with no element excused."""
    if scheme == "central":
        return central_with_kinks(loss, x, analytic, f0, eps, rtol, atol)
    return numerical_grad(loss, x, eps, scheme=scheme), np.zeros(x.shape, dtype=bool)


def check_loss(loss_fn, pred, target, *, rng=None, rtol=None, atol=None,
               eps=None) -> GradcheckReport:
    """Compare ``loss_fn.backward()`` with central differences of ``loss_fn(pred, target)``.

    Takes the same keywords as ``check_module``, so one call shape checks either; ``rng``
    draws nothing here: a loss is already a scalar, no random probe G is needed.

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
    numeric, kinks = central_with_kinks(loss, pred, analytic, f0, eps, rtol, atol)
    report = GradcheckReport(
        f"check_loss {loss_fn!r}  [{pred.dtype}, rtol {rtol:g}, atol {atol:g}]")
    report.rows.append(compare("dpred", analytic, numeric, rtol=rtol, atol=atol, kink_mask=kinks))
    return report
